package io.jvirt.apiserver.security;

import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.util.IPAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The API server's TLS material in {@code <dataDir>/pki/}: the {@link CertificateAuthority} ({@code ca.crt},
 * {@code ca.key}) and the serving certificate it signed ({@code apiserver.crt}, {@code apiserver.key}).
 *
 * <p>The serving certificate has CN {@value #COMMON_NAME}, extendedKeyUsage serverAuth, is valid {@link #VALIDITY},
 * and carries the SANs of {@link #defaultSubjectAltNames()} plus any extra ones asked for. On start it is reused
 * unless it is missing, expires within {@link #RENEW_BEFORE}, lacks a requested SAN, was not issued by the current CA,
 * or does not match its key; then a new key and certificate are generated.
 *
 * <p>SAN strings are host names ({@code example.com}, {@code *.example.com}) or IP literals ({@code 10.0.0.5},
 * {@code fd00::5}); a {@code DNS:} or {@code IP:} prefix is accepted.
 */
public final class ServerCertificates {

    private static final Logger LOG = LoggerFactory.getLogger(ServerCertificates.class);

    public static final String COMMON_NAME = "jvirt-apiserver";
    public static final Duration VALIDITY = Duration.ofDays(365);
    public static final Duration RENEW_BEFORE = Duration.ofDays(30);
    public static final String PKI_DIR = "pki";
    public static final String CERT_FILE = "apiserver.crt";
    public static final String KEY_FILE = "apiserver.key";
    /** Alias of the serving key entry in {@link #keyStore()}. */
    public static final String KEY_ALIAS = "jvirt-apiserver";

    private static final Pattern DNS_NAME = Pattern.compile("^(\\*\\.)?[a-z0-9]([a-z0-9_-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9_-]*[a-z0-9])?)*\\.?$");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final CertificateAuthority authority;
    private final X509Certificate servingCertificate;
    private final PrivateKey servingKey;
    private final boolean servingGenerated;
    private final String keyStorePassword;
    private final KeyStore keyStore;

    private ServerCertificates(CertificateAuthority authority, X509Certificate servingCertificate, PrivateKey servingKey,
                               boolean servingGenerated) {
        this.authority = authority;
        this.servingCertificate = servingCertificate;
        this.servingKey = servingKey;
        this.servingGenerated = servingGenerated;
        byte[] pw = new byte[18];
        RANDOM.nextBytes(pw);
        this.keyStorePassword = Base64.getUrlEncoder().withoutPadding().encodeToString(pw);
        this.keyStore = buildKeyStore();
    }

    /** {@link #loadOrCreate(Path, Collection)} without extra SANs. */
    public static ServerCertificates loadOrCreate(Path dataDir) throws IOException {
        return loadOrCreate(dataDir, List.of());
    }

    /**
     * Loads or generates the CA and serving certificate under {@code dataDir/pki} (see the class comment).
     *
     * @param extraSubjectAltNames SANs wanted in addition to {@link #defaultSubjectAltNames()}
     * @throws IllegalArgumentException if an extra SAN is neither a valid DNS name nor an IP literal
     */
    public static ServerCertificates loadOrCreate(Path dataDir, Collection<String> extraSubjectAltNames)
            throws IOException {
        return loadOrCreate(dataDir, extraSubjectAltNames, Clock.systemUTC());
    }

    static ServerCertificates loadOrCreate(Path dataDir, Collection<String> extraSubjectAltNames, Clock clock)
            throws IOException {
        Set<String> wanted = new LinkedHashSet<>();
        for (String san : defaultSubjectAltNames()) {
            wanted.add(normalize(san));
        }
        for (String san : extraSubjectAltNames) {
            wanted.add(normalize(san));
        }
        Path pki = SecureFiles.ensurePrivateDirectory(pkiDir(dataDir));
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(pki, clock);
        Path certFile = pki.resolve(CERT_FILE);
        Path keyFile = pki.resolve(KEY_FILE);

        String reason = null;
        X509Certificate cert = null;
        PrivateKey key = null;
        if (!Files.exists(certFile) || !Files.exists(keyFile)) {
            reason = "not present";
        } else {
            SecureFiles.tighten(keyFile, SecureFiles.OWNER_READ_WRITE);
            try {
                cert = Pem.parseCertificates(Files.readAllBytes(certFile)).get(0);
                key = Pem.parsePrivateKey(Files.readAllBytes(keyFile));
                reason = staleReason(ca, cert, key, wanted, clock);
            } catch (IOException e) {
                reason = "unreadable (" + e.getMessage() + ")";
            }
        }
        if (reason == null) {
            return new ServerCertificates(ca, cert, key, false);
        }

        KeyPair pair = CertificateAuthority.newKeyPair();
        List<GeneralName> names = new ArrayList<>();
        for (String san : wanted) {
            names.add(toGeneralName(san));
        }
        cert = ca.issueServerCertificate(COMMON_NAME, pair.getPublic(), names, VALIDITY, clock);
        // key first: a crash in between leaves a mismatching pair, which is detected and regenerated next start
        SecureFiles.writePrivate(keyFile, Pem.privateKey(pair.getPrivate()));
        SecureFiles.writeAtomically(certFile, Pem.certificate(cert), SecureFiles.PUBLIC_READ);
        LOG.info("Generated serving certificate {} ({}; valid until {}; SANs {})", certFile, reason,
                cert.getNotAfter().toInstant(), wanted);
        return new ServerCertificates(ca, cert, pair.getPrivate(), true);
    }

    /**
     * The SANs every serving certificate gets: DNS {@code localhost}, this machine's host name, {@code kubernetes},
     * {@code kubernetes.default}, {@code kubernetes.default.svc}, and IPs {@code 127.0.0.1} and {@code ::1}.
     */
    public static List<String> defaultSubjectAltNames() {
        Set<String> sans = new LinkedHashSet<>();
        sans.add("localhost");
        String host = hostName();
        if (host != null) {
            sans.add(host);
        }
        sans.add("kubernetes");
        sans.add("kubernetes.default");
        sans.add("kubernetes.default.svc");
        sans.add("127.0.0.1");
        sans.add("::1");
        return List.copyOf(sans);
    }

    /** {@code dataDir/pki}. */
    public static Path pkiDir(Path dataDir) {
        return dataDir.resolve(PKI_DIR);
    }

    public CertificateAuthority authority() {
        return authority;
    }

    public X509Certificate caCertificate() {
        return authority.certificate();
    }

    /** The CA certificate as PEM, for a kubeconfig's {@code certificate-authority-data} (base64 of these bytes). */
    public byte[] caPem() {
        return authority.certificatePem();
    }

    public X509Certificate servingCertificate() {
        return servingCertificate;
    }

    /** Serving certificate followed by the CA certificate. */
    public List<X509Certificate> chain() {
        return List.of(servingCertificate, authority.certificate());
    }

    /** Whether the serving certificate was (re)generated by this start rather than reused. */
    public boolean servingCertificateGenerated() {
        return servingGenerated;
    }

    /**
     * An in-memory PKCS12 key store holding one key entry, {@link #KEY_ALIAS}: the serving key with the chain
     * serving certificate → CA, protected by {@link #keyStorePassword()} (store and key use the same password). For
     * Jetty: {@code sslContextFactory.setKeyStore(ks); sslContextFactory.setKeyStorePassword(pw)}.
     */
    public KeyStore keyStore() {
        return keyStore;
    }

    /** The password of {@link #keyStore()} and of its key entry; random per instance. */
    public String keyStorePassword() {
        return keyStorePassword;
    }

    /** A server-side {@link SSLContext} presenting the serving certificate chain. */
    public SSLContext serverSslContext() {
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keyStore, keyStorePassword.toCharArray());
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot create server SSLContext", e);
        }
    }

    /**
     * A client-side {@link SSLContext} that trusts only the certificates in {@code caPem} (e.g. a kubeconfig's
     * decoded {@code certificate-authority-data}).
     */
    public static SSLContext clientSslContext(byte[] caPem) throws IOException {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (X509Certificate c : Pem.parseCertificates(caPem)) {
                trust.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot create client SSLContext", e);
        }
    }

    /**
     * The SANs of {@code cert} in normalized form ({@code DNS:name} lower-cased, {@code IP:address} in Java's
     * canonical textual form).
     */
    static Set<String> subjectAltNames(X509Certificate cert) {
        Set<String> out = new LinkedHashSet<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans == null) {
                return out;
            }
            for (List<?> san : sans) {
                int type = (Integer) san.get(0);
                if (type == GeneralName.dNSName) {
                    out.add("DNS:" + ((String) san.get(1)).toLowerCase(Locale.ROOT));
                } else if (type == GeneralName.iPAddress) {
                    out.add(normalize("IP:" + san.get(1)));
                }
            }
        } catch (CertificateParsingException e) {
            // treated as having no SANs; the certificate will be regenerated
        }
        return out;
    }

    /** {@code "DNS:<lower-case name>"} or {@code "IP:<canonical address>"}. */
    static String normalize(String san) {
        String s = san.trim();
        String lower = s.toLowerCase(Locale.ROOT);
        boolean forceIp = lower.startsWith("ip:");
        boolean forceDns = lower.startsWith("dns:");
        if (forceIp) {
            s = s.substring(3).trim();
        } else if (forceDns) {
            s = s.substring(4).trim();
        }
        String ip = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
        if (!forceDns && IPAddress.isValid(ip)) {
            try {
                return "IP:" + InetAddress.getByName(ip).getHostAddress(); // a literal: no name lookup
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("invalid IP address SAN: " + san, e);
            }
        }
        if (forceIp) {
            throw new IllegalArgumentException("invalid IP address SAN: " + san);
        }
        String dns = s.toLowerCase(Locale.ROOT);
        if (dns.isEmpty() || dns.length() > 253 || !DNS_NAME.matcher(dns).matches()) {
            throw new IllegalArgumentException("invalid DNS name SAN: " + san);
        }
        return "DNS:" + dns;
    }

    private static GeneralName toGeneralName(String normalized) {
        if (normalized.startsWith("IP:")) {
            return new GeneralName(GeneralName.iPAddress, normalized.substring(3));
        }
        return new GeneralName(GeneralName.dNSName, normalized.substring(4));
    }

    private static String staleReason(CertificateAuthority ca, X509Certificate cert, PrivateKey key,
                                      Set<String> wanted, Clock clock) {
        if (!ca.issued(cert)) {
            return "not issued by the current CA";
        }
        if (!CertificateAuthority.keyMatches(key, cert.getPublicKey())) {
            return "key does not match certificate";
        }
        if (cert.getNotAfter().toInstant().isBefore(clock.instant().plus(RENEW_BEFORE))) {
            return "expires " + cert.getNotAfter().toInstant();
        }
        if (cert.getNotBefore().toInstant().isAfter(clock.instant())) {
            return "not yet valid";
        }
        Set<String> have = subjectAltNames(cert);
        List<String> missing = wanted.stream().filter(s -> !have.contains(s)).toList();
        if (!missing.isEmpty()) {
            return "missing SANs " + missing;
        }
        return null;
    }

    private KeyStore buildKeyStore() {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(KEY_ALIAS, servingKey, keyStorePassword.toCharArray(),
                    new X509Certificate[] {servingCertificate, authority.certificate()});
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build PKCS12 key store", e);
        }
    }

    /** This machine's host name, lower-cased, or null when it cannot be determined or is not a usable SAN. */
    static String hostName() {
        String name = null;
        try {
            name = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            // getLocalHost fails when the host name does not resolve; fall back to the kernel's idea of it
            for (String f : List.of("/proc/sys/kernel/hostname", "/etc/hostname")) {
                try {
                    name = Files.readString(Path.of(f), StandardCharsets.UTF_8).trim();
                    if (!name.isEmpty()) {
                        break;
                    }
                } catch (IOException | RuntimeException ignored) {
                    // try the next source
                }
            }
        }
        if (name == null || name.isBlank()) {
            return null;
        }
        try {
            String normalized = normalize(name);
            return normalized.substring(normalized.indexOf(':') + 1);
        } catch (IllegalArgumentException e) {
            LOG.warn("Host name '{}' is not usable as a certificate SAN; leaving it out", name);
            return null;
        }
    }
}
