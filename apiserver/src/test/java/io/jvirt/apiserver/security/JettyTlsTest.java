package io.jvirt.apiserver.security;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The key store plugs into Jetty's SslContextFactory the way the API server will use it. */
class JettyTlsTest {

    @TempDir
    Path dataDir;

    @Test
    void jettyServesWithTheInMemoryKeyStore() throws Exception {
        ServerCertificates certs = ServerCertificates.loadOrCreate(dataDir);
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(certs.keyStore());
        ssl.setKeyStorePassword(certs.keyStorePassword());

        Server server = new Server();
        ServerConnector connector = new ServerConnector(server, ssl);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.setStatus(200);
                Content.Sink.write(response, true, "tls ok", callback);
                return true;
            }
        });
        server.start();
        try (HttpClient client = HttpClient.newBuilder()
                .sslContext(ServerCertificates.clientSslContext(certs.caPem()))
                .connectTimeout(Duration.ofSeconds(10))
                .build()) {
            URI uri = URI.create("https://localhost:" + connector.getLocalPort() + "/");
            HttpResponse<String> resp = client.send(HttpRequest.newBuilder(uri).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(resp.statusCode()).isEqualTo(200);
            assertThat(resp.body()).isEqualTo("tls ok");
        } finally {
            server.stop();
        }
    }
}
