package dev.satchel.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.testkit.MutableClock;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.http.HttpSessionAttributeListener;
import jakarta.servlet.http.HttpSessionBindingEvent;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionIdListener;
import jakarta.servlet.http.HttpSessionListener;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The servlet filter's behaviour, run unchanged in every container we support. Two containers
 * ("node A" and "node B") share one store, as two app servers behind a balancer would.
 */
abstract class FilterContainerContract {

    protected abstract ServletContainer.Factory containers();

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T09:00:00Z"));
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> open = new ArrayList<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private MemorySessionStore memory;
    private CountingStore store;

    @BeforeEach
    void createStore() {
        memory = MemorySessionStore.builder()
                .clock(clock)
                .sweepInterval(Duration.ZERO)
                .maxSessions(50)
                .build();
        store = new CountingStore(memory);
    }

    @AfterEach
    void stopAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        store.close();
    }

    // ---- harness ----------------------------------------------------------------------------

    private record Node(URI base, ProbeServlet probe) {}

    private Node node(UnaryOperator<SessionOptions.Builder> options) throws Exception {
        SessionOptions.Builder b = SessionOptions.builder().clock(clock).listener(new Recorder());
        ProbeServlet probe = new ProbeServlet();
        ServletContainer c =
                containers().start(new SatchelFilter(store, options.apply(b).build()), probe);
        open.add(c);
        return new Node(c.base(), probe);
    }

    private Node node() throws Exception {
        return node(b -> b);
    }

    /** A browser that keeps one cookie, as sent by Set-Cookie. */
    private final class Browser {
        String cookie = "";
        String lastSetCookie;

        HttpResponse<String> get(Node node, String pathAndQuery) throws IOException, InterruptedException {
            HttpRequest.Builder req =
                    HttpRequest.newBuilder(node.base().resolve(pathAndQuery)).timeout(Duration.ofSeconds(10));
            if (!cookie.isEmpty()) {
                req.header("Cookie", cookie);
            }
            HttpResponse<String> res = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
            res.headers().allValues("Set-Cookie").forEach(h -> {
                lastSetCookie = h;
                String pair = h.substring(0, h.indexOf(';'));
                cookie = pair.endsWith("=") ? "" : pair;
            });
            return res;
        }

        String body(Node node, String pathAndQuery) throws IOException, InterruptedException {
            HttpResponse<String> res = get(node, pathAndQuery);
            assertThat(res.statusCode())
                    .as("status of %s: %s", pathAndQuery, res.body())
                    .isEqualTo(200);
            return res.body();
        }

        String token() {
            return cookie.substring(cookie.indexOf('=') + 1);
        }
    }

    private final class Recorder implements HttpSessionListener, HttpSessionAttributeListener, HttpSessionIdListener {
        @Override
        public void sessionCreated(HttpSessionEvent se) {
            events.add("created");
        }

        @Override
        public void sessionDestroyed(HttpSessionEvent se) {
            events.add("destroyed:" + se.getSession().getAttribute("a"));
        }

        @Override
        public void attributeAdded(HttpSessionBindingEvent e) {
            events.add("added:" + e.getName() + "=" + e.getValue());
        }

        @Override
        public void attributeRemoved(HttpSessionBindingEvent e) {
            events.add("removed:" + e.getName() + "=" + e.getValue());
        }

        @Override
        public void attributeReplaced(HttpSessionBindingEvent e) {
            events.add("replaced:" + e.getName() + "=" + e.getValue());
        }

        @Override
        public void sessionIdChanged(HttpSessionEvent event, String oldSessionId) {
            events.add("id-changed");
        }
    }

    // ---- cookies ----------------------------------------------------------------------------

    @Test
    void newSession_setsHttpOnlyLaxSessionCookie_withoutSecureOnPlainHttp() throws Exception {
        Node a = node();
        Browser b = new Browser();
        b.body(a, "/set?name=a&value=1");
        assertThat(b.lastSetCookie)
                .startsWith("SID=")
                .contains("; Path=/", "; HttpOnly", "; SameSite=Lax")
                .doesNotContain("Max-Age", "Secure", "Expires");
        assertThat(SessionId.parse(b.token())).isPresent();
    }

    @Test
    void cookieOptions_forceSecureHostPrefixAndStrict_areWritten() throws Exception {
        Node a = node(o -> o.idResolver(CookieSessionIdResolver.builder()
                .hostPrefix(true)
                .sameSite(CookieSessionIdResolver.SameSite.STRICT)
                .maxAge(Duration.ofHours(1))
                .build()));
        Browser b = new Browser();
        b.body(a, "/set?name=a&value=1");
        assertThat(b.lastSetCookie)
                .startsWith("__Host-SID=")
                .contains("; Secure", "; SameSite=Strict", "; Max-Age=3600", "; Path=/");
    }

    // ---- persistence across nodes -------------------------------------------------------------

    @Test
    void attribute_setOnNodeA_isReadOnNodeB() throws Exception {
        Node a = node();
        Node b = node();
        Browser user = new Browser();
        user.body(a, "/set?name=cart&value=shoes");
        assertThat(user.body(b, "/get?name=cart")).isEqualTo("shoes");
        user.body(b, "/remove?name=cart");
        assertThat(user.body(a, "/get?name=cart")).isEqualTo("null");
    }

    @Test
    void concurrentRequestsOnTwoNodes_changingDifferentAttributes_bothPersist() throws Exception {
        Node a = node();
        Node b = node();
        Browser user = new Browser();
        user.body(a, "/set?name=seed&value=0");
        a.probe().hold = new CountDownLatch(1);
        CompletableFuture<HttpResponse<String>> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return user.get(a, "/set-wait-before-commit?name=left&value=L");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        assertThat(a.probe().committed.await(10, TimeUnit.SECONDS)).isTrue();
        user.body(b, "/set?name=right&value=R");
        a.probe().hold.countDown();
        assertThat(slow.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(user.body(b, "/get?name=left")).isEqualTo("L");
        assertThat(user.body(a, "/get?name=right")).isEqualTo("R");
    }

    @Test
    void changes_areSavedBeforeTheResponseCommits_onFlush() throws Exception {
        assertVisibleWhileFirstRequestStillRuns("/set-flush-wait?name=k&value=flushed", "flushed");
    }

    @Test
    void changes_areSavedBeforeTheResponseCommits_whenTheBufferOverflows() throws Exception {
        assertVisibleWhileFirstRequestStillRuns("/set-overflow-wait?name=k&value=overflowed", "overflowed");
    }

    private void assertVisibleWhileFirstRequestStillRuns(String path, String expected) throws Exception {
        Node a = node();
        Node b = node();
        Browser user = new Browser();
        user.body(a, "/set?name=k&value=before");
        a.probe().hold = new CountDownLatch(1);
        CompletableFuture<HttpResponse<java.io.InputStream>> first = http.sendAsync(
                HttpRequest.newBuilder(a.base().resolve(path))
                        .header("Cookie", user.cookie)
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try {
            HttpResponse<java.io.InputStream> head = first.get(10, TimeUnit.SECONDS); // headers arrived: committed
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(user.body(b, "/get?name=k")).isEqualTo(expected);
        } finally {
            a.probe().hold.countDown();
        }
        first.get(10, TimeUnit.SECONDS).body().readAllBytes();
    }

    // ---- what gets written ------------------------------------------------------------------

    @Test
    void readOnlyRequest_writesNothing_untilTheTouchIsDue() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        int saves = store.saves.size();
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofSeconds(30));
            assertThat(user.body(a, "/get?name=a")).isEqualTo("1");
        }
        assertThat(store.saves).hasSize(saves);
        clock.advance(Duration.ofMinutes(3));
        user.body(a, "/get?name=a");
        assertThat(store.saves).hasSize(saves + 1);
        ChangeSet touch = store.saves.get(saves);
        assertThat(touch.setAttributes()).isEmpty();
        assertThat(touch.accessedAt()).contains(clock.instant());
    }

    @Test
    void writeRequest_savesOnlyTheChangedAttribute() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        user.body(a, "/set?name=b&value=2");
        ChangeSet last = store.saves.get(store.saves.size() - 1);
        assertThat(last.setAttributes()).containsOnlyKeys("b");
        assertThat(last.created()).isFalse();
    }

    @Test
    void requestWithoutSession_neitherLoadsNorSaves() throws Exception {
        Node a = node();
        Browser user = new Browser();
        assertThat(user.body(a, "/get?name=a")).isEqualTo("no-session");
        assertThat(store.loads.get()).isZero();
        assertThat(store.saves).isEmpty();
        assertThat(user.lastSetCookie).isNull();
    }

    // ---- servlet semantics ------------------------------------------------------------------

    @Test
    void isNew_isTrueOnlyInTheCreatingRequest() throws Exception {
        Node a = node();
        Browser user = new Browser();
        assertThat(user.body(a, "/new")).isEqualTo("true");
        assertThat(user.body(a, "/new")).isEqualTo("false");
    }

    @Test
    void changeSessionId_issuesNewCookie_keepsAttributes_andKillsOldId() throws Exception {
        Node a = node();
        Node b = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=kept");
        String oldCookie = user.cookie;
        String newId = user.body(a, "/rotate");
        assertThat(user.token()).isEqualTo(newId).isNotEqualTo(oldCookie.substring(4));
        assertThat(user.body(b, "/get?name=a")).isEqualTo("kept");
        assertThat(user.body(b, "/get?name=rotated")).isEqualTo("yes");
        Browser attacker = new Browser();
        attacker.cookie = oldCookie;
        assertThat(attacker.body(b, "/get?name=a")).isEqualTo("no-session");
        assertThat(events).contains("id-changed");
    }

    @Test
    void invalidate_expiresCookie_andTheSessionIsGoneOnEveryNode() throws Exception {
        Node a = node();
        Node b = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        String stolen = user.cookie;
        user.body(a, "/invalidate");
        assertThat(user.lastSetCookie).contains("Max-Age=0");
        assertThat(user.cookie).isEmpty();
        Browser replay = new Browser();
        replay.cookie = stolen;
        assertThat(replay.body(b, "/get?name=a")).isEqualTo("no-session");
        assertThat(events).contains("destroyed:1");
    }

    @Test
    void invalidateThenNewSession_inOneRequest_issuesTheNewCookie() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        String before = user.cookie;
        user.body(a, "/relogin");
        assertThat(user.cookie).isNotEmpty().isNotEqualTo(before);
        assertThat(user.body(a, "/get?name=fresh")).isEqualTo("yes");
        assertThat(user.body(a, "/get?name=a")).isEqualTo("null");
    }

    @Test
    void strictMode_anIdTheServerNeverIssued_isNotAdopted() throws Exception {
        Node a = node();
        Browser user = new Browser();
        String planted = SessionId.random().value();
        user.cookie = "SID=" + planted;
        user.body(a, "/set?name=a&value=1");
        assertThat(user.token()).isNotEqualTo(planted);
        assertThat(store.load(new SessionId(planted))).isEmpty();
        assertThat(user.body(a, "/requested")).startsWith(user.token() + "|true|true|false");
    }

    @Test
    void garbageOversizedAndDuplicateCookies_areIgnored_withoutReachingTheStore() throws Exception {
        Node a = node();
        for (String bad : List.of("SID=" + "A".repeat(4000), "SID=%00%ff<script>", "SID=a.b.c", "SID=")) {
            Browser user = new Browser();
            user.cookie = bad;
            assertThat(user.body(a, "/get?name=a")).isEqualTo("no-session");
        }
        assertThat(store.loads.get()).isZero();
        Browser many = new Browser();
        StringBuilder cookies = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            cookies.append(i == 0 ? "" : "; ")
                    .append("SID=")
                    .append(SessionId.random().value());
        }
        many.cookie = cookies.toString();
        assertThat(many.body(a, "/get?name=a")).isEqualTo("no-session");
        assertThat(store.loads.get()).isLessThanOrEqualTo(4);
    }

    @Test
    void idleTimeout_endsTheSession_andSetMaxInactiveIntervalChangesIt() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        clock.advance(Duration.ofMinutes(29));
        assertThat(user.body(a, "/get?name=a")).isEqualTo("1");
        assertThat(user.body(a, "/max-inactive?value=60")).isEqualTo("60");
        clock.advance(Duration.ofSeconds(61));
        assertThat(user.body(a, "/get?name=a")).isEqualTo("no-session");
    }

    @Test
    void absoluteTimeout_endsEvenAnActiveSession() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        for (int i = 0; i < 31; i++) {
            clock.advance(Duration.ofMinutes(15));
            user.body(a, "/set-int?name=n&value=" + i);
        }
        assertThat(user.body(a, "/get?name=n")).isEqualTo("30");
        clock.advance(Duration.ofMinutes(15));
        assertThat(user.body(a, "/get?name=n")).isEqualTo("no-session");
    }

    @Test
    void expiredSession_firesSessionDestroyed_withItsAttributes() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=gone-soon");
        clock.advance(Duration.ofMinutes(31));
        memory.expireDue();
        assertThat(events).contains("destroyed:gone-soon");
    }

    @Test
    void metrics_countTheStoresCalls_sessionsMadeAndEnded_andRefusals() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        Node a = node(b -> b.metrics(new MicrometerSessionMetrics(meters, "memory").bindStore(memory)));
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        user.body(a, "/get?name=a");
        Browser leaving = new Browser();
        leaving.body(a, "/set?name=a&value=2");
        leaving.body(a, "/invalidate");
        new Browser().body(a, "/set?name=a&value=3");
        assertThat(meters.get("satchel.store.sessions")
                        .tag("store", "memory")
                        .gauge()
                        .value())
                .isEqualTo(2.0);
        clock.advance(Duration.ofMinutes(31));
        memory.expireDue();
        store.down = true;
        assertThat(user.get(a, "/get?name=a").statusCode()).isEqualTo(503);
        store.down = false;

        assertThat(meters.get("satchel.sessions.started").counter().count()).isEqualTo(3.0);
        assertThat(meters.get("satchel.sessions.invalidated").counter().count()).isEqualTo(1.0);
        assertThat(meters.get("satchel.sessions.expired").counter().count()).isEqualTo(2.0);
        assertThat(meters.get("satchel.requests.refused")
                        .tag("reason", "store_unavailable")
                        .counter()
                        .count())
                .isEqualTo(1.0);
        Timer loads = meters.get("satchel.store.calls")
                .tags("call", "load", "outcome", "ok")
                .timer();
        assertThat(loads.count()).isEqualTo(2); // the second and fourth requests found their session
        assertThat(meters.get("satchel.store.calls")
                        .tags("call", "save", "outcome", "ok")
                        .timer()
                        .count())
                .isEqualTo(4); // three new sessions and an invalidation; a read saves nothing
        assertThat(meters.get("satchel.store.calls")
                        .tags("call", "load", "outcome", "error")
                        .timer()
                        .count())
                .isEqualTo(1);
        assertThat(loads.totalTime(TimeUnit.NANOSECONDS)).isPositive();
    }

    @Test
    void attributeListeners_seeAddReplaceRemove_withOldValues() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/set?name=x&value=1");
        user.body(a, "/set?name=x&value=2");
        user.body(a, "/remove?name=x");
        assertThat(events).containsSubsequence("created", "added:x=1", "replaced:x=1", "removed:x=2");
    }

    @Test
    void undecodableAttribute_isDropped_andTheSessionStillLoads() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/set?name=good&value=fine");
        SessionId id = SessionId.parse(user.token()).orElseThrow();
        SessionRecord r = memory.load(id).orElseThrow();
        memory.save(ChangeSet.builder(id, r.createdAt(), r.absoluteDeadline())
                .set("bad", new byte[] {8, 0, 9, 'n', 'o', '.', 'S', 'u', 'c', 'h', '{', '}'})
                .build());
        assertThat(user.body(a, "/get?name=bad")).isEqualTo("null");
        assertThat(user.body(a, "/get?name=good")).isEqualTo("fine");
        assertThat(memory.load(id).orElseThrow().attributes()).doesNotContainKey("bad");
    }

    // ---- id transports ------------------------------------------------------------------------

    @Test
    void headerResolver_carriesTheIdForRestClients() throws Exception {
        Node a = node(o -> o.idResolver(HeaderSessionIdResolver.defaults()));
        HttpResponse<String> created = http.send(
                HttpRequest.newBuilder(a.base().resolve("/set?name=a&value=rest"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        String token = created.headers().firstValue("X-Session-Id").orElseThrow();
        assertThat(created.headers().allValues("Set-Cookie")).isEmpty();
        HttpResponse<String> read = http.send(
                HttpRequest.newBuilder(a.base().resolve("/get?name=a"))
                        .header("X-Session-Id", token)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(read.body()).isEqualTo("rest");
    }

    @Test
    void urlRewriting_whenEnabled_encodesLinks_andResolvesThePathParameter() throws Exception {
        Node a = node(o -> o.urlRewriting(UrlSessionIdResolver.defaults()));
        Browser noCookies = new Browser();
        String link = noCookies.body(a, "/encode");
        String token = noCookies.token();
        assertThat(link).isEqualTo("/app/page;sid=" + token + "?x=1");
        Browser viaUrl = new Browser();
        assertThat(viaUrl.body(a, "/requested;sid=" + token)).isEqualTo(token + "|true|false|true");
        Browser withCookie = new Browser();
        withCookie.cookie = "SID=" + token;
        assertThat(withCookie.body(a, "/encode")).isEqualTo("/app/page?x=1");
    }

    @Test
    void urlRewriting_isOffByDefault() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        Browser viaUrl = new Browser();
        assertThat(viaUrl.body(a, "/get;sid=" + user.token() + "?name=a")).isEqualTo("no-session");
        assertThat(user.body(a, "/encode")).isEqualTo("/app/page?x=1");
    }

    @Test
    void route_isAppendedToIds_andAForeignRouteIsRepinned() throws Exception {
        Node n1 = node(o -> o.route("node-1"));
        Node n2 = node(o -> o.route("node-2"));
        Browser user = new Browser();
        user.body(n1, "/set?name=a&value=1");
        assertThat(user.token()).endsWith(".node-1");
        user.lastSetCookie = null;
        user.body(n1, "/get?name=a");
        assertThat(user.lastSetCookie).as("no cookie while the route is right").isNull();
        assertThat(user.body(n2, "/get?name=a")).isEqualTo("1");
        assertThat(user.token()).endsWith(".node-2");
    }

    // ---- failures -----------------------------------------------------------------------------

    @Test
    void storeDown_answers503WithJson_andRecoversWhenItReturns() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        store.down = true;
        HttpResponse<String> res = user.get(a, "/get?name=a");
        assertThat(res.statusCode()).isEqualTo(503);
        assertThat(res.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(res.body()).contains("session_store_unavailable").doesNotContain("Exception", "at dev.");
        store.down = false;
        assertThat(user.body(a, "/get?name=a")).isEqualTo("1");
    }

    @Test
    void sessionLimit_answers503_andExistingSessionsKeepWorking() throws Exception {
        Node a = node();
        Browser first = new Browser();
        first.body(a, "/set?name=a&value=1");
        for (int i = 1; i < 50; i++) {
            new Browser().body(a, "/set?name=a&value=" + i);
        }
        HttpResponse<String> refused = new Browser().get(a, "/set?name=a&value=x");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).contains("session_limit_reached");
        assertThat(first.body(a, "/get?name=a")).isEqualTo("1");
    }

    @Test
    void principal_isIndexed_andInvalidateAllEndsEverySessionOfTheUser() throws Exception {
        Node a = node();
        Browser laptop = new Browser();
        Browser phone = new Browser();
        laptop.body(a, "/principal?value=alice");
        phone.body(a, "/principal?value=alice");
        assertThat(store.findByPrincipal("alice")).hasSize(2);
        Optional<SessionRecord> any = memory.findByPrincipal("alice").stream().findFirst();
        assertThat(any).isPresent();
    }

    @Test
    void invalidateByHandle_endsThatOneSessionOfTheUser_andNoOtherUsers() throws Exception {
        Node a = node();
        Browser laptop = new Browser();
        Browser phone = new Browser();
        Browser bob = new Browser();
        laptop.body(a, "/principal?value=alice");
        phone.body(a, "/principal?value=alice");
        bob.body(a, "/principal?value=bob");
        String laptopHandle = SatchelSessions.handleOf(laptop.body(a, "/id"));
        String bobHandle = SatchelSessions.handleOf(bob.body(a, "/id"));
        assertThat(phone.body(a, "/end?name=alice&value=" + bobHandle))
                .as("bob's handle under alice's name ends nothing")
                .isEqualTo("false");
        assertThat(phone.body(a, "/end?name=alice&value=" + laptopHandle)).isEqualTo("true");
        assertThat(laptop.body(a, "/get?name=satchel.principal")).isEqualTo("no-session");
        assertThat(phone.body(a, "/get?name=satchel.principal")).isEqualTo("alice");
        assertThat(bob.body(a, "/get?name=satchel.principal")).isEqualTo("bob");
        assertThat(store.findByPrincipal("alice")).hasSize(1);
        assertThat(phone.body(a, "/end?name=alice&value=" + laptopHandle))
                .as("ended once")
                .isEqualTo("false");
    }
}
