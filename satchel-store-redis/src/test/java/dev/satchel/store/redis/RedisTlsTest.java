package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RedisTlsTest {

    @Test
    void satchelsParameters_leaveTheUri_andLettucesStay() {
        RedisTls.Split s = RedisTls.split("rediss://u:p@h:6380/2?timeout=5s&ca=/etc/ca.pem&cert=c.pem&key=k.pem#x");
        assertThat(s.uri()).isEqualTo("rediss://u:p@h:6380/2?timeout=5s#x");
        assertThat(s.tls().trusted()).hasValue(Path.of("/etc/ca.pem"));
        assertThat(s.tls().clientCertificate()).hasValue(Path.of("c.pem"));
        assertThat(s.tls().clientKey()).hasValue(Path.of("k.pem"));
    }

    @Test
    void aUriWithoutThem_isUntouched() {
        RedisTls.Split s = RedisTls.split("redis-sentinel://h:26379,h2:26379?timeout=1s#mymaster");
        assertThat(s.uri()).isEqualTo("redis-sentinel://h:26379,h2:26379?timeout=1s#mymaster");
        assertThat(s.tls().isSet()).isFalse();
        assertThat(RedisTls.split("redis://h:1?ca=x").uri()).isEqualTo("redis://h:1");
        assertThat(RedisTls.split("redis://h:1").tls().trusted()).isEqualTo(Optional.empty());
    }
}
