package io.jvirt.apiserver.security;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * The self-signed certificate authority of one jvirt installation: {@code pki/ca.crt} and {@code pki/ca.key} in the data
 * directory. EC P-256, CN {@value #COMMON_NAME}, valid {@link #VALIDITY}. It signs the API server's serving certificate;
 * clients trust it through the kubeconfig's {@code certificate-authority-data}.
 */
public final class CertificateAuthority {

    private static final Logger LOG = LoggerFactory.getLogger(CertificateAuthority.class);

    public static final String COMMON_NAME = "jvirt-ca";
    public static final Duration VALIDITY = Duration.ofDays(3650);
    public static final String CERT_FILE = "ca.crt";
    public static final String KEY_FILE = "ca.key";

    /** Certificates are back-dated by this much to tolerate clock skew between server and clients. */
    static final Duration BACKDATE = Duration.ofHours(1);

    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey privateKey;
    private final boolean generated;

    private CertificateAuthority(X509Certificate certificate, PrivateKey privateKey, boolean generated) {
        this.certificate = certificate;
        this.privateKey = privateKey;
        this.generated = generated;
    }

    /**
     * Loads {@code pkiDir/ca.crt} and {@code pkiDir/ca.key}, or generates and stores them when both are absent (or the
     * stored CA has expired). {@code pkiDir} is created with mode 0700; the key file is created with mode 0600.
     *
     * @throws IOException when exactly one of the two files exists, a file cannot be parsed, or the key does not
     *                     belong to the certificate (refusing to silently replace a CA that clients may trust)
     */
    public static CertificateAuthority loadOrCreate(Path pkiDir) throws IOException {
        return loadOrCreate(pkiDir, Clock.systemUTC());
    }

    static CertificateAuthority loadOrCreate(Path pkiDir, Clock clock) throws IOException {
        Path dir = SecureFiles.ensurePrivateDirectory(pkiDir);
        Path certFile = dir.resolve(CERT_FILE);
        Path keyFile = dir.resolve(KEY_FILE);
        boolean haveCert = Files.exists(certFile);
        boolean haveKey = Files.exists(keyFile);
        if (haveCert != haveKey) {
            throw new IOException("Incomplete CA in " + dir + ": " + (haveCert ? KEY_FILE : CERT_FILE)
                    + " is missing; restore it, or delete " + (haveCert ? CERT_FILE : KEY_FILE)
                    + " to generate a new CA (existing kubeconfigs will stop working)");
        }
        if (haveCert) {
            SecureFiles.tighten(keyFile, SecureFiles.OWNER_READ_WRITE);
            X509Certificate cert = Pem.parseCertificates(Files.readAllBytes(certFile)).get(0);
            PrivateKey key = Pem.parsePrivateKey(Files.readAllBytes(keyFile));
            if (!keyMatches(key, cert.getPublicKey())) {
                throw new IOException(keyFile + " does not belong to " + certFile);
            }
            Instant notAfter = cert.getNotAfter().toInstant();
            if (!notAfter.isAfter(clock.instant())) {
                LOG.warn("CA certificate {} expired at {}; generating a new CA", certFile, notAfter);
            } else {
                if (notAfter.isBefore(clock.instant().plus(ServerCertificates.RENEW_BEFORE))) {
                    LOG.warn("CA certificate {} expires at {}; delete {} and {} to generate a new one", certFile,
                            notAfter, CERT_FILE, KEY_FILE);
                }
                return new CertificateAuthority(cert, key, false);
            }
        }
        CertificateAuthority ca = generate(clock);
        // key first: a crash in between leaves a key without certificate, which is reported on the next start
        SecureFiles.writePrivate(keyFile, Pem.privateKey(ca.privateKey));
        SecureFiles.writeAtomically(certFile, ca.certificatePem(), SecureFiles.PUBLIC_READ);
        LOG.info("Generated CA {} (valid until {})", certFile, ca.certificate.getNotAfter().toInstant());
        return ca;
    }

    /** A new CA held only in memory. */
    public static CertificateAuthority generate() {
        return generate(Clock.systemUTC());
    }

    static CertificateAuthority generate(Clock clock) {
        try {
            KeyPair pair = newKeyPair();
            X500Name name = new X500Name("CN=" + COMMON_NAME);
            Instant now = clock.instant();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(VALIDITY)), name, pair.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            builder.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(builder.build(signer(pair.getPrivate())));
            return new CertificateAuthority(cert, pair.getPrivate(), true);
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new IllegalStateException("cannot generate CA certificate", e);
        }
    }

    /** The CA certificate. */
    public X509Certificate certificate() {
        return certificate;
    }

    /** The CA certificate as PEM (what goes, base64-encoded, into {@code certificate-authority-data}). */
    public byte[] certificatePem() {
        return Pem.certificate(certificate);
    }

    /** Whether this instance was generated rather than loaded from disk. */
    public boolean generated() {
        return generated;
    }

    /** Whether {@code cert} was issued (signed) by this CA. */
    public boolean issued(X509Certificate cert) {
        if (!cert.getIssuerX500Principal().equals(certificate.getSubjectX500Principal())) {
            return false;
        }
        try {
            cert.verify(certificate.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /**
     * Issues a TLS server certificate for {@code subjectKey}: CN {@code commonName}, the given subject alternative
     * names, extendedKeyUsage serverAuth, not a CA, valid from now (minus a small back-dating) for {@code validity},
     * but never beyond this CA's own expiry.
     */
    public X509Certificate issueServerCertificate(String commonName, PublicKey subjectKey, List<GeneralName> sans,
                                                  Duration validity, Clock clock) {
        try {
            Instant now = clock.instant();
            Instant notAfter = now.plus(validity);
            if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
                notAfter = certificate.getNotAfter().toInstant();
            }
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(notAfter), new X500Name("CN=" + commonName), subjectKey);
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            int usage = KeyUsage.digitalSignature;
            if ("RSA".equals(subjectKey.getAlgorithm())) {
                usage |= KeyUsage.keyEncipherment;
            }
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(sans.toArray(GeneralName[]::new)));
            builder.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey));
            builder.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer(privateKey)));
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new IllegalStateException("cannot issue certificate for " + commonName, e);
        }
    }

    /** A fresh EC P-256 key pair. */
    static KeyPair newKeyPair() {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return gen.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("EC P-256 key generation is not available", e);
        }
    }

    /** Whether {@code key} is the private half of {@code publicKey} (checked by signing and verifying). */
    static boolean keyMatches(PrivateKey key, PublicKey publicKey) {
        try {
            String alg = signatureAlgorithm(key);
            byte[] probe = new byte[32];
            RANDOM.nextBytes(probe);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(publicKey);
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
        return new JcaContentSignerBuilder(signatureAlgorithm(key)).build(key);
    }

    private static String signatureAlgorithm(PrivateKey key) {
        return switch (key.getAlgorithm()) {
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> throw new IllegalArgumentException("unsupported key algorithm " + key.getAlgorithm());
        };
    }

    private static BigInteger serial() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        b[0] &= 0x7f;
        b[0] |= 0x01; // positive and never zero
        return new BigInteger(b);
    }
}
