package io.jvirt.apiserver.security;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.CertPathValidator;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerCertificatesTest {

    @TempDir
    Path dataDir;

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void firstStartCreatesPkiFilesWithPrivateModes() throws Exception {
        ServerCertificates certs = ServerCertificates.loadOrCreate(dataDir);
        Path pki = dataDir.resolve("pki");
        assertThat(mode(pki)).isEqualTo("rwx------");
        assertThat(mode(pki.resolve("ca.key"))).isEqualTo("rw-------");
        assertThat(mode(pki.resolve("apiserver.key"))).isEqualTo("rw-------");
        assertThat(pki.resolve("ca.crt")).exists();
        assertThat(pki.resolve("apiserver.crt")).exists();
        // no temporary files left behind
        try (var files = Files.list(pki)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("ca.crt", "ca.key", "apiserver.crt", "apiserver.key");
        }
        assertThat(Files.readString(pki.resolve("ca.key"))).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(Files.readString(pki.resolve("apiserver.crt"))).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(certs.servingCertificateGenerated()).isTrue();
        assertThat(certs.authority().generated()).isTrue();
        assertThat(new String(certs.caPem())).isEqualTo(Files.readString(pki.resolve("ca.crt")));
    }

    @Test
    void caHasExpectedShape() throws Exception {
        X509Certificate ca = ServerCertificates.loadOrCreate(dataDir).caCertificate();
        assertThat(ca.getSubjectX500Principal().getName()).isEqualTo("CN=jvirt-ca");
        assertThat(ca.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0); // CA:TRUE
        assertThat(ca.getKeyUsage()[5]).as("keyCertSign").isTrue();
        ca.verify(ca.getPublicKey());
        Duration validity = Duration.between(ca.getNotBefore().toInstant(), ca.getNotAfter().toInstant());
        assertThat(validity).isGreaterThanOrEqualTo(Duration.ofDays(3650));
        assertThat(ca.getPublicKey().getAlgorithm()).isEqualTo("EC");
    }

    @Test
    void servingCertificateVerifiesAgainstCaAndHasSans() throws Exception {
        ServerCertificates certs = ServerCertificates.loadOrCreate(dataDir, List.of("jvirt.example.com", "10.1.2.3"));
        X509Certificate serving = certs.servingCertificate();
        serving.verify(certs.caCertificate().getPublicKey());
        assertThat(serving.getSubjectX500Principal().getName()).isEqualTo("CN=jvirt-apiserver");
        assertThat(serving.getBasicConstraints()).isEqualTo(-1);
        assertThat(serving.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        Duration validity = Duration.between(serving.getNotBefore().toInstant(), serving.getNotAfter().toInstant());
        assertThat(validity).isBetween(Duration.ofDays(365), Duration.ofDays(366));

        Set<String> sans = ServerCertificates.subjectAltNames(serving);
        assertThat(sans).contains("DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default",
                "DNS:kubernetes.default.svc", "IP:127.0.0.1", "IP:0:0:0:0:0:0:0:1",
                "DNS:jvirt.example.com", "IP:10.1.2.3");
        String host = ServerCertificates.hostName();
        if (host != null) {
            assertThat(sans).contains(ServerCertificates.normalize(host));
        }

        // PKIX path validation from the serving cert to the CA as the only trust anchor
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(certs.caCertificate(), null)));
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(List.of(serving)), params);
    }

    @Test
    void restartReusesCaAndServingCertificate() throws Exception {
        ServerCertificates first = ServerCertificates.loadOrCreate(dataDir);
        byte[] caKey = Files.readAllBytes(dataDir.resolve("pki/ca.key"));
        ServerCertificates second = ServerCertificates.loadOrCreate(dataDir);
        assertThat(second.caCertificate()).isEqualTo(first.caCertificate());
        assertThat(second.servingCertificate()).isEqualTo(first.servingCertificate());
        assertThat(second.servingCertificateGenerated()).isFalse();
        assertThat(second.authority().generated()).isFalse();
        assertThat(Files.readAllBytes(dataDir.resolve("pki/ca.key"))).isEqualTo(caKey);
    }

    @Test
    void newSanRegeneratesServingCertificateButKeepsCa() throws Exception {
        ServerCertificates first = ServerCertificates.loadOrCreate(dataDir);
        ServerCertificates second = ServerCertificates.loadOrCreate(dataDir, List.of("DNS:vm-host.lan"));
        assertThat(second.servingCertificateGenerated()).isTrue();
        assertThat(second.caCertificate()).isEqualTo(first.caCertificate());
        assertThat(ServerCertificates.subjectAltNames(second.servingCertificate())).contains("DNS:vm-host.lan");
        assertThat(mode(dataDir.resolve("pki/apiserver.key"))).isEqualTo("rw-------");
        // the now-present SAN is satisfied on the following start, also when given in another spelling
        ServerCertificates third = ServerCertificates.loadOrCreate(dataDir, List.of("VM-HOST.lan"));
        assertThat(third.servingCertificateGenerated()).isFalse();
        // IPv6 in a different textual form matches the stored SAN
        ServerCertificates fourth = ServerCertificates.loadOrCreate(dataDir, List.of("0:0:0:0:0:0:0:1"));
        assertThat(fourth.servingCertificateGenerated()).isFalse();
    }

    @Test
    void servingCertificateNearExpiryIsRenewed() throws Exception {
        ServerCertificates first = ServerCertificates.loadOrCreate(dataDir);

        // 300 days on, the 1-year certificate still has > 30 days left: reused
        Clock in300Days = Clock.fixed(Instant.now().plus(Duration.ofDays(300)), ZoneOffset.UTC);
        ServerCertificates later = ServerCertificates.loadOrCreate(dataDir, List.of(), in300Days);
        assertThat(later.servingCertificateGenerated()).isFalse();
        assertThat(later.servingCertificate()).isEqualTo(first.servingCertificate());

        // 340 days on, it expires within 30 days: a new one is issued by the same CA
        Clock in340Days = Clock.fixed(Instant.now().plus(Duration.ofDays(340)), ZoneOffset.UTC);
        ServerCertificates renewed = ServerCertificates.loadOrCreate(dataDir, List.of(), in340Days);
        assertThat(renewed.servingCertificateGenerated()).isTrue();
        assertThat(renewed.caCertificate()).isEqualTo(first.caCertificate());
        assertThat(renewed.servingCertificate().getNotAfter()).isAfter(first.servingCertificate().getNotAfter());
        renewed.servingCertificate().verify(first.caCertificate().getPublicKey());
        assertThat(ServerCertificates.loadOrCreate(dataDir, List.of(), in340Days).servingCertificateGenerated())
                .isFalse();
    }

    @Test
    void servingKeyMismatchOrForeignCaIsRegenerated() throws Exception {
        ServerCertificates.loadOrCreate(dataDir);
        // replace the serving key with an unrelated one: detected and regenerated
        SecureFiles.writePrivate(dataDir.resolve("pki/apiserver.key"),
                Pem.privateKey(CertificateAuthority.newKeyPair().getPrivate()));
        assertThat(ServerCertificates.loadOrCreate(dataDir).servingCertificateGenerated()).isTrue();

        // a serving cert signed by some other CA is replaced
        Path other = dataDir.resolve("other");
        ServerCertificates foreign = ServerCertificates.loadOrCreate(other);
        Files.copy(other.resolve("pki/apiserver.crt"), dataDir.resolve("pki/apiserver.crt"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(other.resolve("pki/apiserver.key"), dataDir.resolve("pki/apiserver.key"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ServerCertificates again = ServerCertificates.loadOrCreate(dataDir);
        assertThat(again.servingCertificateGenerated()).isTrue();
        assertThat(again.authority().issued(again.servingCertificate())).isTrue();
        assertThat(again.authority().issued(foreign.servingCertificate())).isFalse();
    }

    @Test
    void incompleteCaIsRefused() throws Exception {
        ServerCertificates.loadOrCreate(dataDir);
        Files.delete(dataDir.resolve("pki/ca.key"));
        assertThatThrownBy(() -> ServerCertificates.loadOrCreate(dataDir))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("ca.key");
    }

    @Test
    void looseModesFromAnEarlierRunAreTightened() throws Exception {
        ServerCertificates.loadOrCreate(dataDir);
        Files.setPosixFilePermissions(dataDir.resolve("pki"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dataDir.resolve("pki/ca.key"), PosixFilePermissions.fromString("rw-r--r--"));
        ServerCertificates.loadOrCreate(dataDir);
        assertThat(mode(dataDir.resolve("pki"))).isEqualTo("rwx------");
        assertThat(mode(dataDir.resolve("pki/ca.key"))).isEqualTo("rw-------");
    }

    @Test
    void keyStoreHoldsServingKeyAndChain() throws Exception {
        ServerCertificates certs = ServerCertificates.loadOrCreate(dataDir);
        KeyStore ks = certs.keyStore();
        assertThat(ks.getType()).isEqualToIgnoringCase("PKCS12");
        assertThat(ks.isKeyEntry(ServerCertificates.KEY_ALIAS)).isTrue();
        PrivateKey key = (PrivateKey) ks.getKey(ServerCertificates.KEY_ALIAS, certs.keyStorePassword().toCharArray());
        assertThat(key).isNotNull();
        Certificate[] chain = ks.getCertificateChain(ServerCertificates.KEY_ALIAS);
        assertThat(chain).containsExactly(certs.servingCertificate(), certs.caCertificate());
        assertThat(CertificateAuthority.keyMatches(key, certs.servingCertificate().getPublicKey())).isTrue();

        // the PKCS12 store survives a save/load round trip (what Jetty may do internally)
        var out = new java.io.ByteArrayOutputStream();
        ks.store(out, certs.keyStorePassword().toCharArray());
        KeyStore reloaded = KeyStore.getInstance("PKCS12");
        reloaded.load(new java.io.ByteArrayInputStream(out.toByteArray()), certs.keyStorePassword().toCharArray());
        assertThat(reloaded.isKeyEntry(ServerCertificates.KEY_ALIAS)).isTrue();
    }

    @Test
    void sanNormalization() {
        assertThat(ServerCertificates.normalize("LocalHost")).isEqualTo("DNS:localhost");
        assertThat(ServerCertificates.normalize("*.apps.example.com")).isEqualTo("DNS:*.apps.example.com");
        assertThat(ServerCertificates.normalize("::1")).isEqualTo("IP:0:0:0:0:0:0:0:1");
        assertThat(ServerCertificates.normalize("[fd00::5]")).isEqualTo("IP:fd00:0:0:0:0:0:0:5");
        assertThat(ServerCertificates.normalize("IP:192.168.0.1")).isEqualTo("IP:192.168.0.1");
        assertThatThrownBy(() -> ServerCertificates.normalize("bad name")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ServerCertificates.normalize("IP:not-an-ip")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ServerCertificates.normalize("")).isInstanceOf(IllegalArgumentException.class);
    }
}
