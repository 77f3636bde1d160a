package dev.satchel.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionListener;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Servlet 6 conformance of the session API itself: binding listeners, URL rewriting and the
 * smaller deviations of issue 20, items 14, 15 and 17.
 */
abstract class FilterSessionApiContract extends ContainerHarness {

    // ---- item 14: HttpSessionBindingListener --------------------------------------------------

    @Test
    void invalidate_firesValueUnboundAndAttributeRemoved_afterSessionDestroyed() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/bind?name=b&value=x");
        user.body(a, "/set?name=plain&value=1");
        user.body(a, "/invalidate");
        assertThat(events)
                .containsSubsequence("bound:b=x", "destroyed", "unbound:b=x")
                .contains("removed:b=x", "removed:plain=1");
    }

    @Test
    void replaceAndRemove_fireValueUnbound_evenWithoutAnAttributeListener() throws Exception {
        Node a = node(store, b -> b);
        Browser user = new Browser();
        user.body(a, "/bind?name=b&value=x");
        user.body(a, "/bind?name=b&value=y");
        user.body(a, "/remove?name=b");
        assertThat(events).containsExactly("bound:b=x", "bound:b=y", "unbound:b=x", "unbound:b=y");
    }

    // ---- item 15: URL rewriting ---------------------------------------------------------------

    @Test
    void urlRewriting_encodesOnlyUrlsBackIntoThisApplication() throws Exception {
        Node a = node(o -> o.urlRewriting(UrlSessionIdResolver.defaults()));
        Browser noCookies = new Browser();
        String[] lines = noCookies.body(a, "/encode-many").split("\r?\n");
        String sid = ";sid=" + noCookies.token();
        String self = "http://127.0.0.1:" + a.base().getPort();
        assertThat(lines)
                .containsExactly(
                        "/in/app" + sid + "?x=1",
                        "page" + sid,
                        self + "/in/app" + sid,
                        "http://elsewhere.example/x",
                        "//elsewhere.example/x",
                        "https://127.0.0.1:" + a.base().getPort() + "/other-scheme",
                        "mailto:someone@example.com",
                        "javascript:alert(1)",
                        "#top");
    }

    @Test
    void urlRewriting_leavesLinksThatBrowsersReadAsAnotherSiteAlone_andMatchesTheSchemeWithoutCase() throws Exception {
        Node a = node(o -> o.urlRewriting(UrlSessionIdResolver.defaults()));
        Browser noCookies = new Browser();
        String[] lines = noCookies.body(a, "/encode-hostile").split("\r?\n");
        String here = "127.0.0.1:" + a.base().getPort();
        // Browsers read a backslash as a slash and drop tabs and leading spaces: each is another site.
        assertThat(lines)
                .containsExactly(
                        "/\\evil.example/x",
                        "\\\\evil.example/x",
                        "/<TAB>/evil.example/x",
                        " //evil.example/x",
                        "http://" + here + "@evil.example/x",
                        "http://evil.example\\@" + here + "/x",
                        "/x;sid=planted",
                        "HTTP://" + here + "/same;sid=" + noCookies.token());
    }

    @Test
    void hostileIdsInTheUrlPathParameter_findNoSession_andAreNeverEchoed() throws Exception {
        Node a = node(o -> o.urlRewriting(UrlSessionIdResolver.defaults()));
        String[] hostile = {
            ";sid=",
            ";sid=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            ";sid=..%2F..%2Fetc",
            ";sid=%00",
            ";sid=a;sid=b",
            ";sid=" + "A".repeat(4000)
        };
        for (String id : hostile) {
            HttpResponse<String> res = new Browser().get(a, "/id" + id);
            assertThat(res.statusCode()).as(id).isIn(200, 400, 404);
            assertThat(res.body()).as(id).doesNotContain("<script>").doesNotContain("AAAAAAAA");
            if (res.statusCode() == 200) {
                assertThat(res.body()).as(id).isEqualTo("no-session");
            }
        }
    }

    // ---- item 17: smaller deviations ----------------------------------------------------------

    @Test
    void unstorableSerializableValue_raisesIllegalArgumentException() throws Exception {
        Node a = node();
        Browser user = new Browser();
        assertThat(user.body(a, "/set-unstorable?name=n")).isEqualTo(IllegalArgumentException.class.getName());
    }

    @Test
    void isRequestedSessionIdValid_turnsFalse_afterChangeSessionId() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        assertThat(user.body(a, "/rotate-valid")).isEqualTo("true|false");
    }

    @Test
    void isRequestedSessionIdValid_isFalse_afterInvalidateAndANewSession_underImmediateFlush() throws Exception {
        Node a = node(o -> o.flushMode(FlushMode.IMMEDIATE));
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        assertThat(user.body(a, "/relogin-valid")).isEqualTo("false");
    }

    @Test
    void duplicateCookies_unknownThenValid_reportTheValidIdAsRequested() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        String valid = user.token();
        user.cookie = "SID=" + SessionId.random().value() + "; SID=" + valid;
        assertThat(user.body(a, "/requested")).isEqualTo(valid + "|true|true|false");
    }

    @Test
    void invalidate_insideSessionDestroyed_endsTheSessionOnce() throws Exception {
        Node a = node(o -> o.listener(new HttpSessionListener() {
            @Override
            public void sessionDestroyed(HttpSessionEvent se) {
                se.getSession().invalidate();
            }
        }));
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        assertThat(user.body(a, "/invalidate")).isEqualTo("ok");
        assertThat(events).containsOnlyOnce("destroyed");
    }

    @Test
    void setMaxInactiveInterval_afterInvalidate_doesNotThrow() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        assertThat(user.body(a, "/invalidate-then-max")).isEqualTo("ok");
    }

    @Test
    void expiry_firesSessionDestroyedAndValueUnbound_fromAnObservableStore() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/bind?name=b&value=x");
        clock.advance(Duration.ofMinutes(31));
        memory.expireDue();
        assertThat(events).containsSubsequence("destroyed", "unbound:b=x");
    }

    /** A deliberate difference (README): a store that reports no expiries gives no event for them. */
    @Test
    void expiry_inAStoreThatReportsNoExpiries_firesNoSessionDestroyed() throws Exception {
        Node a = node(new SilentStore(store), b -> b.listener(new Recorder()));
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        clock.advance(Duration.ofMinutes(31));
        memory.expireDue();
        assertThat(user.body(a, "/get?name=a")).isEqualTo("no-session");
        assertThat(events).doesNotContain("destroyed");
    }

    /** A deliberate difference (README): 0 removes only the idle timeout, not the absolute one. */
    @Test
    void maxInactiveIntervalZero_removesTheIdleTimeout_butTheAbsoluteTimeoutStillEnds() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        assertThat(user.body(a, "/max-inactive?value=0")).isEqualTo("-1");
        clock.advance(Duration.ofHours(2));
        assertThat(user.body(a, "/get?name=a")).isEqualTo("1");
        clock.advance(Duration.ofHours(6));
        assertThat(user.body(a, "/get?name=a")).isEqualTo("no-session");
    }

    // ---- atomic updates (SatchelSessions.update) ----------------------------------------------

    /**
     * One user, two nodes over one store, two clients with the same cookie adding 1 to one counter
     * 50 times each in parallel: every addition counts (read, set would lose some).
     */
    @Test
    void atomicUpdates_fromParallelRequestsOnTwoNodes_loseNoAddition() throws Exception {
        Node a = node();
        Node b = node();
        Browser first = new Browser();
        first.body(a, "/set?name=seed&value=1");
        Browser second = new Browser();
        second.cookie = first.cookie;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var left = pool.submit(() -> {
                for (int i = 0; i < 50; i++) {
                    first.body(a, "/add?name=count");
                }
                return null;
            });
            var right = pool.submit(() -> {
                for (int i = 0; i < 50; i++) {
                    second.body(b, "/add?name=count");
                }
                return null;
            });
            left.get(60, java.util.concurrent.TimeUnit.SECONDS);
            right.get(60, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertThat(first.body(a, "/get?name=count")).isEqualTo("100");
        assertThat(first.cookie).as("the session kept its id").isEqualTo(second.cookie);
    }

    @Test
    void atomicUpdate_seesTheRequestsEarlierChanges_andLaterReadsSeeIt() throws Exception {
        Node a = node();
        Browser user = new Browser();
        assertThat(user.body(a, "/add?name=count"))
                .as("a session this request creates")
                .isEqualTo("1");
        assertThat(user.body(a, "/add-then-get?name=count")).isEqualTo("2|set before the update");
        assertThat(user.body(a, "/get?name=note")).isEqualTo("set before the update");
        assertThat(user.body(a, "/get?name=count")).isEqualTo("2");
    }

    @Test
    void atomicUpdate_thatConflictsAtEveryAttempt_answers409_andWritesNothing() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/add?name=count");
        store.alwaysConflict = true;
        HttpResponse<String> refused = user.get(a, "/add?name=count");
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.headers().firstValue("Retry-After")).contains("1");
        assertThat(refused.body()).contains("session_update_conflict").doesNotContain("Exception");
        store.alwaysConflict = false;
        assertThat(user.body(a, "/get?name=count")).isEqualTo("1");
    }

    @Test
    void atomicUpdate_ofASessionEndedElsewhere_endsCleanly() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/add?name=count");
        Browser other = new Browser();
        other.cookie = user.cookie;
        memory.delete(new dev.satchel.core.SessionId(user.token()));
        // The session is looked up first and is gone: the request gets a fresh one, as any would.
        assertThat(other.body(a, "/add?name=count")).isEqualTo("1");
    }

    @Test
    void atomicUpdate_overAStoreThatCannotDecide_isRefused_evenInTheRequestThatCreatesTheSession() throws Exception {
        Node a = node(new SilentStore(store), b -> b);
        Browser user = new Browser();
        assertThat(user.body(a, "/add?name=count")).isEqualTo(UnsupportedOperationException.class.getName());
        assertThat(user.body(a, "/add?name=count")).isEqualTo(UnsupportedOperationException.class.getName());
    }

    @Test
    void atomicUpdate_whoseSessionEndsMeanwhile_answers409SessionEnded_andWritesNothing() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/add?name=count");
        store.endBeforeConditionalSave = true;
        HttpResponse<String> ended = user.get(a, "/add-then-get?name=count");
        assertThat(ended.statusCode()).isEqualTo(409);
        assertThat(ended.body()).contains("session_ended").doesNotContain("Exception");
        assertThat(user.body(a, "/get?name=count"))
                .as("a fresh request finds no session")
                .isEqualTo("no-session");
    }

    @Test
    void anUpdateFunctionThatUpdatesItself_isRefused_andNothingIsStoredTwice() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/add?name=count");
        assertThat(user.body(a, "/add-nested?name=count")).contains("must not update the session itself");
        assertThat(user.body(a, "/get?name=count")).isEqualTo("1");
    }

    /**
     * Under ON_GET_ATTRIBUTE a read is written back at the end of the request; the read before an
     * update, and the reads after it, must not write the value back over later updates.
     */
    @Test
    void underOnGetAttribute_aReadAttribute_isNotWrittenBackOverTheUpdate() throws Exception {
        Node a = node(store, b -> b.saveMode(SaveMode.ON_GET_ATTRIBUTE));
        Browser user = new Browser();
        user.body(a, "/add?name=count");
        int before = store.saves.size();
        assertThat(user.body(a, "/get-then-add?name=count")).isEqualTo("1->2");
        assertThat(store.saves.subList(before, store.saves.size()))
                .as("no plain save of the counter after, or before, its update")
                .allSatisfy(c -> assertThat(c.setAttributes().containsKey("count")
                                && c.expectations().isEmpty())
                        .isFalse());
        assertThat(user.body(a, "/get?name=count")).isEqualTo("2");
    }

    /** A store that only stores: no expiry events, no principal index. */
    private record SilentStore(SessionStore delegate) implements SessionStore {
        @Override
        public Optional<SessionRecord> load(SessionId id) {
            return delegate.load(id);
        }

        @Override
        public SaveOutcome save(ChangeSet changes) {
            return delegate.save(changes);
        }

        @Override
        public boolean delete(SessionId id) {
            return delegate.delete(id);
        }

        @Override
        public void close() {}
    }
}
