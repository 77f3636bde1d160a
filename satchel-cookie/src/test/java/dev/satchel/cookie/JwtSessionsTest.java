package dev.satchel.cookie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.satchel.core.ChangeSet;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionTooLargeException;
import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.testkit.MutableClock;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class JwtSessionsTest {
    private static final byte[] KEY = key();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
    private final RevocationList revocations =
            new RevocationList(MemorySessionStore.builder().clock(clock).build(), clock, Duration.ofHours(8));

    private static byte[] key() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return k;
    }

    private SessionRecord session(String principal) {
        Instant now = clock.instant();
        ChangeSet.Builder b = ChangeSet.builder(SessionId.random(), now, now.plus(Duration.ofHours(8)))
                .created()
                .accessedAt(now)
                .maxInactiveInterval(Duration.ofMinutes(30))
                .set("cart", "[1,2]".getBytes(StandardCharsets.UTF_8))
                .set("bytes", new byte[] {0, -1, 7});
        if (principal != null) {
            b.principal(PrincipalChange.to(principal));
        }
        return SessionRecord.create(b.build());
    }

    @Test
    void bothForms_roundTrip_andOnlyTheSignedOneIsReadable() throws Exception {
        for (JwtSessions jwt : List.of(
                JwtSessions.encrypted(KEY).clock(clock).build(),
                JwtSessions.signed(KEY).clock(clock).build())) {
            SessionRecord r = session("ann");
            List<String> token = jwt.seal(r);
            SessionRecord back = jwt.open(token).orElseThrow();
            assertThat(back.id()).isEqualTo(r.id());
            assertThat(back.principal()).contains("ann");
            assertThat(back.expiresAt()).isEqualTo(r.expiresAt());
            assertThat(back.attributes().get("bytes")).containsExactly(0, -1, 7);
        }
        String signed = JwtSessions.signed(KEY)
                .clock(clock)
                .build()
                .seal(session("ann"))
                .get(0);
        assertThat(SignedJWT.parse(signed).getJWTClaimsSet().getSubject()).isEqualTo("ann");
        String encrypted = JwtSessions.encrypted(KEY)
                .clock(clock)
                .build()
                .seal(session("ann"))
                .get(0);
        assertThat(encrypted.split("\\.")).hasSize(5); // JWE compact form: nothing readable
        assertThat(new String(Base64.getUrlDecoder().decode(encrypted.split("\\.")[0]), StandardCharsets.UTF_8))
                .contains("\"dir\"")
                .contains("A256GCM");
    }

    @Test
    void algorithmsOutsideTheAllowlist_noneFirst_areNoSession() throws Exception {
        JwtSessions jwt = JwtSessions.signed(KEY).clock(clock).build();
        SessionRecord r = session("ann");
        JWTClaimsSet claims = SignedJWT.parse(jwt.seal(r).get(0)).getJWTClaimsSet();
        String none = new PlainJWT(claims).serialize();
        assertThat(jwt.open(List.of(none))).as("alg none").isEmpty();
        SignedJWT hs512 = new SignedJWT(new JWSHeader(JWSAlgorithm.HS512), claims);
        byte[] longKey = new byte[64];
        System.arraycopy(KEY, 0, longKey, 0, 32);
        hs512.sign(new MACSigner(longKey));
        assertThat(jwt.open(List.of(hs512.serialize()))).as("HS512").isEmpty();
        SignedJWT otherKey = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        otherKey.sign(new MACSigner(key()));
        assertThat(jwt.open(List.of(otherKey.serialize()))).as("another key").isEmpty();
        assertThat(JwtSessions.encrypted(KEY).clock(clock).build().open(jwt.seal(r)))
                .as("a signed token where encrypted ones are expected")
                .isEmpty();
    }

    @Test
    void tamperedClaims_expiry_andReplayAfterLogout_areNoSession() {
        JwtSessions jwt =
                JwtSessions.signed(KEY).clock(clock).revocations(revocations).build();
        SessionRecord r = session("ann");
        String token = jwt.seal(r).get(0);
        String[] parts = token.split("\\.");
        String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        String forged = parts[0] + "."
                + Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(claims.replace("\"ann\"", "\"root\"").getBytes(StandardCharsets.UTF_8))
                + "." + parts[2];
        assertThat(jwt.open(List.of(forged))).as("sub changed").isEmpty();
        assertThat(jwt.open(List.of(token))).isPresent();
        jwt.revoke(r);
        assertThat(jwt.open(List.of(token))).as("replayed after logout").isEmpty();

        String fresh = jwt.seal(session(null)).get(0);
        clock.advance(Duration.ofMinutes(31));
        assertThat(jwt.open(List.of(fresh))).as("idle timeout").isEmpty();
        assertThat(jwt.counters()).containsEntry("refused", 3L);
    }

    @Test
    void aTokenOverTheCookieLimit_isRefusedNamingItsAttributes() {
        JwtSessions jwt = JwtSessions.encrypted(KEY).clock(clock).build();
        SessionRecord r = session(null);
        SessionRecord big = r.apply(ChangeSet.builder(r.id(), r.createdAt(), r.absoluteDeadline())
                .set("photo", new byte[4000])
                .build());
        assertThatThrownBy(() -> jwt.seal(big))
                .isInstanceOf(SessionTooLargeException.class)
                .hasMessageContaining("photo=4000 B");
        assertThatThrownBy(() -> JwtSessions.signed(new byte[16]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("256 bits");
    }
}
