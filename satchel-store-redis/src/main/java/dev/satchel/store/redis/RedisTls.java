package dev.satchel.store.redis;

import io.lettuce.core.SslOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The TLS files a {@code rediss://} connection uses beyond the JDK's defaults: the CA certificates
 * to trust instead of the JDK's (a private CA, as managed Redis services and self-run servers use),
 * and a client certificate for a server that asks for one ({@code tls-auth-clients yes}). They may
 * come in the URI, {@code rediss://host:6380?ca=FILE&cert=FILE&key=FILE}, parameters Satchel takes
 * out before Lettuce reads the URI. Immutable.
 *
 * @param trusted PEM file of the CA certificates to trust
 * @param clientCertificate PEM certificate chain to present
 * @param clientKey its PKCS#8 PEM key
 */
record RedisTls(Optional<Path> trusted, Optional<Path> clientCertificate, Optional<Path> clientKey) {
    static final RedisTls NONE = new RedisTls(Optional.empty(), Optional.empty(), Optional.empty());

    /** The URI without Satchel's TLS parameters, and those parameters. */
    record Split(String uri, RedisTls tls) {}

    static Split split(String uri) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return new Split(uri, NONE);
        }
        int hash = uri.indexOf('#', q);
        String query = hash < 0 ? uri.substring(q + 1) : uri.substring(q + 1, hash);
        StringBuilder kept = new StringBuilder();
        Optional<Path> ca = Optional.empty();
        Optional<Path> cert = Optional.empty();
        Optional<Path> key = Optional.empty();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            switch (name) {
                case "ca" -> ca = Optional.of(Path.of(value));
                case "cert" -> cert = Optional.of(Path.of(value));
                case "key" -> key = Optional.of(Path.of(value));
                default -> kept.append(kept.length() == 0 ? "" : "&").append(pair);
            }
        }
        String rest =
                uri.substring(0, q) + (kept.length() == 0 ? "" : "?" + kept) + (hash < 0 ? "" : uri.substring(hash));
        return new Split(rest, new RedisTls(ca, cert, key));
    }

    RedisTls withTrusted(Path caPem) {
        return new RedisTls(Optional.of(caPem), clientCertificate, clientKey);
    }

    RedisTls withClient(Path certificatePem, Path keyPem) {
        return new RedisTls(trusted, Optional.of(certificatePem), Optional.of(keyPem));
    }

    boolean isSet() {
        return trusted.isPresent() || clientCertificate.isPresent();
    }

    /**
     * Checks the files now, so a wrong path fails at start-up naming it rather than as a failed
     * connection later.
     *
     * @throws IllegalArgumentException if a file is missing or only one of certificate and key is given
     */
    void check(boolean tlsScheme) {
        if (clientCertificate.isPresent() != clientKey.isPresent()) {
            throw new IllegalArgumentException("a Redis client certificate needs its key, and a key its certificate");
        }
        if (isSet() && !tlsScheme) {
            throw new IllegalArgumentException("TLS files (ca, cert, key) need a rediss:// or rediss-cluster:// URI");
        }
        for (Optional<Path> file : java.util.List.of(trusted, clientCertificate, clientKey)) {
            if (file.isPresent() && !Files.isReadable(file.get())) {
                throw new IllegalArgumentException("cannot read the Redis TLS file " + file.get());
            }
        }
    }

    /** Lettuce's options for these files, on the JDK's TLS engine. */
    SslOptions sslOptions() {
        SslOptions.Builder b = SslOptions.builder().jdkSslProvider();
        trusted.ifPresent(ca -> b.trustManager(ca.toFile()));
        if (clientCertificate.isPresent()) {
            b.keyManager(
                    clientCertificate.get().toFile(), clientKey.orElseThrow().toFile(), null);
        }
        return b.build();
    }
}
