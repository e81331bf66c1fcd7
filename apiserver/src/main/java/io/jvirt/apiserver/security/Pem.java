package io.jvirt.apiserver.security;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** PEM encoding and decoding of certificates and private keys (PKCS#8 written; PKCS#8 and SEC1/PKCS#1 read). */
final class Pem {

    private Pem() {
    }

    static String encode(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    static byte[] certificate(X509Certificate cert) {
        try {
            return encode("CERTIFICATE", cert.getEncoded()).getBytes(StandardCharsets.US_ASCII);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encode certificate", e);
        }
    }

    static byte[] privateKey(PrivateKey key) {
        if (!"PKCS#8".equals(key.getFormat())) {
            throw new IllegalArgumentException("private key is not PKCS#8 encodable: " + key.getFormat());
        }
        return encode("PRIVATE KEY", key.getEncoded()).getBytes(StandardCharsets.US_ASCII);
    }

    static List<X509Certificate> parseCertificates(byte[] pem) throws IOException {
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            List<X509Certificate> out = new ArrayList<>();
            for (Certificate c : cf.generateCertificates(new ByteArrayInputStream(pem))) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new IOException("no certificate found");
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new IOException("invalid certificate PEM: " + e.getMessage(), e);
        }
    }

    static PrivateKey parsePrivateKey(byte[] pem) throws IOException {
        Object obj;
        try (PEMParser parser = new PEMParser(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
            obj = parser.readObject();
        }
        PrivateKeyInfo info;
        if (obj instanceof PrivateKeyInfo pki) {
            info = pki;
        } else if (obj instanceof PEMKeyPair pair) {
            info = pair.getPrivateKeyInfo();
        } else {
            throw new IOException("no unencrypted private key found" + (obj == null ? "" : " (found " + obj.getClass().getSimpleName() + ")"));
        }
        ASN1ObjectIdentifier alg = info.getPrivateKeyAlgorithm().getAlgorithm();
        String jcaName;
        if (X9ObjectIdentifiers.id_ecPublicKey.equals(alg)) {
            jcaName = "EC";
        } else if (PKCSObjectIdentifiers.rsaEncryption.equals(alg)) {
            jcaName = "RSA";
        } else {
            throw new IOException("unsupported private key algorithm " + alg);
        }
        try {
            return KeyFactory.getInstance(jcaName).generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IOException("invalid private key: " + e.getMessage(), e);
        }
    }
}
