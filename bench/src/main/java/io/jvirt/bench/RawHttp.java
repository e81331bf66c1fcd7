package io.jvirt.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.Config;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;

/** The API server bench's raw java.net.http requests (no fabric8 on the client side). */
final class RawHttp {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RawHttp() {
    }

    /** java.net.http client trusting the kubeconfig's CA. */
    static HttpClient client(Config cfg) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        int i = 0;
        for (Certificate c : cf.generateCertificates(new ByteArrayInputStream(Base64.getDecoder()
                .decode(cfg.getCaCertData())))) {
            ks.setCertificateEntry("ca" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** A request to {@code url} with the bearer token, unless null. */
    static HttpRequest.Builder request(String url, String token, HttpClient.Version v) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).version(v);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    /** GET; the body of a 200 answer. */
    static byte[] get(HttpClient c, String url, String token, HttpClient.Version v) {
        return send(c, request(url, token, v).GET(), "GET " + url, 200);
    }

    /** A merge patch setting one annotation; returns the resourceVersion of the answer. */
    static String patch(HttpClient c, String url, String token, int i) {
        String body = "{\"metadata\":{\"annotations\":{\"bench.jvirt.io/seq\":\"" + i + "\"}}}";
        byte[] answer = send(c, request(url, token, HttpClient.Version.HTTP_1_1)
                .header("Content-Type", "application/merge-patch+json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body)), "PATCH " + url, 200);
        try {
            return JSON.readTree(answer).path("metadata").path("resourceVersion").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** POST of a JSON object that must be created (201). */
    static void create(HttpClient c, String url, String token, byte[] json) {
        send(c, request(url, token, HttpClient.Version.HTTP_1_1).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json)), "POST " + url, 201);
    }

    private static byte[] send(HttpClient c, HttpRequest.Builder b, String what, int expected) {
        try {
            HttpResponse<byte[]> r = c.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != expected) {
                throw new IllegalStateException(what + ": " + r.statusCode() + " "
                        + new String(r.body(), StandardCharsets.UTF_8));
            }
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
