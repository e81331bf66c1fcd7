package io.jvirt.apiserver.security;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A real TLS handshake against the generated serving certificate, trusting only the generated CA. */
class TlsHandshakeTest {

    @TempDir
    Path dataDir;

    private HttpsServer server;
    private ServerCertificates certs;

    @BeforeEach
    void start() throws Exception {
        certs = ServerCertificates.loadOrCreate(dataDir);
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(certs.serverSslContext()));
        server.createContext("/", exchange -> {
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private HttpResponse<String> get(HttpClient client, String host) throws Exception {
        URI uri = URI.create("https://" + host + ":" + server.getAddress().getPort() + "/");
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpClient client(byte[] caPem) throws IOException {
        return HttpClient.newBuilder()
                .sslContext(ServerCertificates.clientSslContext(caPem))
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    @Test
    void handshakeSucceedsForLocalhostTrustingOnlyTheCa() throws Exception {
        try (HttpClient client = client(certs.caPem())) {
            HttpResponse<String> resp = get(client, "localhost");
            assertThat(resp.statusCode()).isEqualTo(200);
            assertThat(resp.body()).isEqualTo("ok");
            assertThat(resp.sslSession()).isPresent();
            assertThat(resp.sslSession().get().getPeerCertificates()[0]).isEqualTo(certs.servingCertificate());
        }
    }

    @Test
    void handshakeSucceedsForLoopbackIp() throws Exception {
        try (HttpClient client = client(certs.caPem())) {
            assertThat(get(client, "127.0.0.1").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void handshakeFailsWhenTrustingAnotherCa() throws Exception {
        byte[] otherCa = CertificateAuthority.generate().certificatePem();
        try (HttpClient client = client(otherCa)) {
            assertThatThrownBy(() -> get(client, "localhost")).isInstanceOf(SSLHandshakeException.class);
        }
    }

    @Test
    void restartedServerIsStillTrustedByTheOldCaPem() throws Exception {
        byte[] caPemFromFirstStart = certs.caPem();
        server.stop(0);
        certs = ServerCertificates.loadOrCreate(dataDir);
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(certs.serverSslContext()));
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        try (HttpClient client = client(caPemFromFirstStart)) {
            assertThat(get(client, "localhost").statusCode()).isEqualTo(204);
        }
    }
}
