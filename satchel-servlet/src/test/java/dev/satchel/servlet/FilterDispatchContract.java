package dev.satchel.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.SessionId;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Servlet 6 conformance of the filter where the container, not the application, drives the
 * response: forward and include, error pages, exceptions, Content-Length set as an int header, and
 * asynchronous requests. Issue 20, items 10 to 13 and 16.
 */
abstract class FilterDispatchContract extends ContainerHarness {

    /** The same containers with the filter mapped for FORWARD and INCLUDE too. */
    protected abstract ServletContainer.Factory containersMappedForEveryDispatch();

    /** The same containers with the filter mapped for REQUEST and ERROR only, not ASYNC. */
    protected abstract ServletContainer.Factory containersMappedForRequestAndErrorOnly();

    // ---- item 10: forward and include -------------------------------------------------------

    @Test
    void forward_afterCreatingASession_handsOutItsCookie() throws Exception {
        Node a = node();
        Node b = node();
        Browser user = new Browser();
        assertThat(user.body(a, "/create-forward?name=a&value=1")).isEqualTo("1");
        assertThat(user.cookie).as("Set-Cookie: %s", user.setCookies).startsWith("SID=");
        assertThat(user.body(b, "/get?name=a")).isEqualTo("1");
    }

    @Test
    void forward_afterChangeSessionId_handsOutTheNewId_soTheUserStaysLoggedIn() throws Exception {
        Node a = node();
        Node b = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=kept");
        String oldToken = user.token();
        String newId = user.body(a, "/rotate-forward");
        assertThat(newId).isNotEqualTo(oldToken);
        assertThat(user.token()).isEqualTo(newId);
        assertThat(user.body(b, "/get?name=a")).isEqualTo("kept");
        assertThat(user.body(b, "/get?name=rotated")).isEqualTo("yes");
    }

    @Test
    void forward_toATargetThatCreatesTheSession_handsOutItsCookie() throws Exception {
        Node a = node();
        Browser user = new Browser();
        assertThat(user.body(a, "/forward-to-set?name=a&value=made-in-target")).isEqualTo("ok");
        assertThat(user.cookie).startsWith("SID=");
        assertThat(user.body(a, "/get?name=a")).isEqualTo("made-in-target");
    }

    @Test
    void forwardThroughTheServletContext_afterChangeSessionId_handsOutTheNewId_whenMappedForForward() throws Exception {
        Node a = node(containersMappedForEveryDispatch(), store, o -> o);
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=kept");
        String oldToken = user.token();
        String newId = user.body(a, "/rotate-context-forward");
        assertThat(newId).isNotEqualTo(oldToken);
        assertThat(user.token()).isEqualTo(newId);
        assertThat(user.body(a, "/get?name=a")).isEqualTo("kept");
    }

    @Test
    void include_afterCreatingASession_theIncludedServletSeesIt_andTheCookieIsHandedOut() throws Exception {
        Node a = node();
        Browser user = new Browser();
        assertThat(user.body(a, "/create-include?name=a&value=1")).isEqualTo("[1]");
        assertThat(user.body(a, "/get?name=a")).isEqualTo("1");
    }

    @Test
    void include_afterChangeSessionId_handsOutTheNewId() throws Exception {
        Node a = node();
        Node b = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=kept");
        String oldToken = user.token();
        String body = user.body(a, "/rotate-include");
        String newId = body.substring(0, body.indexOf('['));
        assertThat(body).endsWith("[yes]");
        assertThat(newId).isNotEqualTo(oldToken);
        assertThat(user.token()).isEqualTo(newId);
        assertThat(user.body(b, "/get?name=a")).isEqualTo("kept");
    }

    @Test
    void include_ofATargetThatCreatesTheSession_handsOutItsCookie() throws Exception {
        Node a = node();
        Browser user = new Browser();
        assertThat(user.body(a, "/include-set?name=a&value=made-in-include")).isEqualTo("[ok]");
        assertThat(user.cookie).startsWith("SID=");
        assertThat(user.body(a, "/get?name=a")).isEqualTo("made-in-include");
    }

    // ---- item 11: Content-Length as an int header ---------------------------------------------

    @Test
    void contentLength_setWithSetIntHeader_stillLetsTheCookieOut() throws Exception {
        assertCookieSurvivesDeclaredLength("/set-int-length?name=a&value=1");
    }

    @Test
    void contentLength_setWithAddIntHeader_stillLetsTheCookieOut() throws Exception {
        assertCookieSurvivesDeclaredLength("/add-int-length?name=a&value=1");
    }

    private void assertCookieSurvivesDeclaredLength(String path) throws Exception {
        Node a = node();
        Browser user = new Browser();
        assertThat(user.body(a, path)).isEqualTo("ok");
        assertThat(user.cookie).startsWith("SID=");
        assertThat(user.body(a, "/get?name=a")).isEqualTo("1");
    }

    // ---- item 12: error pages -----------------------------------------------------------------

    @Test
    void errorPage_afterAnException_seesTheSatchelSession_andNoContainerSessionAppears() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        HttpResponse<String> res = user.get(a, "/throw-fresh?name=a");
        assertThat(res.statusCode()).isEqualTo(500);
        assertThat(res.body()).contains("error-page:1");
        assertNoContainerSession(user);
    }

    @Test
    void errorPage_afterSendError_seesTheSessionCreatedBeforeIt() throws Exception {
        Node a = node();
        Browser user = new Browser();
        HttpResponse<String> res = user.get(a, "/set-then-send-error?name=a&value=1");
        assertThat(res.statusCode()).isEqualTo(500);
        assertThat(res.body()).contains("error-page:1");
        assertThat(store.saves).as("saved once, not again for the error page").hasSize(1);
        assertThat(user.cookie).startsWith("SID=");
        assertNoContainerSession(user);
        assertThat(user.body(a, "/get?name=a")).isEqualTo("1");
    }

    @Test
    void errorPage_creatingASession_getsASatchelSession_withItsCookie() throws Exception {
        Node a = node();
        Browser user = new Browser();
        HttpResponse<String> res = user.get(a, "/throw-fresh?name=err&create=1");
        assertThat(res.statusCode()).isEqualTo(500);
        assertThat(res.body()).contains("error-page:seen");
        assertThat(store.saves).hasSize(1);
        assertThat(user.cookie).startsWith("SID=");
        assertNoContainerSession(user);
        assertThat(user.body(a, "/get?name=err")).isEqualTo("seen");
    }

    /** No container session leaked out, and Satchel's cookie was sent at most once. */
    private static void assertNoContainerSession(Browser user) {
        assertThat(user.setCookies).noneMatch(c -> c.startsWith("JSESSIONID"));
        assertThat(user.setCookies.stream().filter(c -> c.startsWith("SID="))).hasSizeLessThanOrEqualTo(1);
    }

    // ---- item 13: exceptions ------------------------------------------------------------------

    @Test
    void exceptionBeforeCommit_keepsTheNewSession_thatSessionCreatedAnnounced() throws Exception {
        Node a = node();
        Browser user = new Browser();
        HttpResponse<String> res = user.get(a, "/set-then-throw?name=a&value=1");
        assertThat(res.statusCode()).isEqualTo(500);
        assertThat(res.body()).contains("error-page:1");
        assertThat(store.saves).as("saved once, not again for the error page").hasSize(1);
        assertThat(events).contains("created");
        assertThat(user.cookie).startsWith("SID=");
        assertNoContainerSession(user);
        assertThat(store.load(SessionId.parse(user.token()).orElseThrow())).isPresent();
        assertThat(user.body(a, "/get?name=a")).isEqualTo("1");
    }

    @Test
    void exceptionInsideAForwardTarget_keepsTheSessionItCreated_andTheErrorPageSeesIt() throws Exception {
        Node a = node();
        Browser user = new Browser();
        HttpResponse<String> res = user.get(a, "/forward-to-throw?name=a&value=in-target");
        assertThat(res.statusCode()).isEqualTo(500);
        assertThat(res.body()).contains("error-page:in-target");
        assertThat(user.cookie).startsWith("SID=");
        assertNoContainerSession(user);
        assertThat(user.body(a, "/get?name=a")).isEqualTo("in-target");
    }

    @Test
    void changeSessionId_insideAnInclude_handsOutTheNewId() throws Exception {
        Node a = node();
        Node b = node();
        Browser user = new Browser();
        user.body(a, "/set?name=before&value=1");
        String oldToken = user.token();
        String body = user.body(a, "/include-rotate?name=k&value=v");
        String newId = body.substring(1, body.length() - 1);
        assertThat(newId).isNotEqualTo(oldToken);
        assertThat(user.token()).isEqualTo(newId);
        assertThat(user.body(b, "/get?name=k")).isEqualTo("v");
        assertThat(user.body(b, "/get?name=before")).isEqualTo("1");
    }

    @Test
    void twoRequestsOfOneSession_forwardingAtOnceOnTwoNodes_keepEveryAttributeEachSet() throws Exception {
        Node a = node();
        Node b = node();
        Browser user = new Browser();
        user.body(a, "/set?name=seed&value=0");
        String token = user.token();
        ExecutorService two = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 20; i++) {
                String left = "/create-forward?name=left" + i + "&value=L" + i;
                String right = "/create-forward?name=right" + i + "&value=R" + i;
                Future<String> l = two.submit(() -> user.body(a, left));
                Future<String> r = two.submit(() -> user.body(b, right));
                assertThat(l.get(10, TimeUnit.SECONDS)).isEqualTo("L" + i);
                assertThat(r.get(10, TimeUnit.SECONDS)).isEqualTo("R" + i);
            }
        } finally {
            two.shutdownNow();
        }
        assertThat(user.token()).isEqualTo(token);
        for (int i = 0; i < 20; i++) {
            assertThat(user.body(a, "/get?name=right" + i)).isEqualTo("R" + i);
            assertThat(user.body(b, "/get?name=left" + i)).isEqualTo("L" + i);
        }
    }

    @Test
    void exceptionAfterCommit_keepsTheChangesMadeAfterTheCommit() throws Exception {
        Node a = node();
        Browser user = new Browser();
        user.body(a, "/set?name=seed&value=0");
        try {
            user.get(a, "/set-commit-then-throw");
        } catch (IOException expected) {
            // The container may cut a committed response short when the application fails.
        }
        assertThat(user.body(a, "/get?name=a")).isEqualTo("before-commit");
        assertThat(user.body(a, "/get?name=b")).isEqualTo("after-commit");
    }

    // ---- item 16: asynchronous requests (issue 15, item 4) ------------------------------------

    @Test
    void asyncRequest_completedOnAnotherThread_savesBeforeTheResponseCommits() throws Exception {
        Node a = node();
        Node b = node();
        Browser user = new Browser();
        assertThat(user.body(a, "/async-complete?name=a&value=later")).isEqualTo("done");
        assertThat(user.cookie)
                .as("the session made on the async thread got its cookie")
                .startsWith("SID=");
        assertThat(user.body(b, "/get?name=a")).isEqualTo("later");
    }

    @Test
    void asyncRequest_dispatchedBack_isSavedAtTheEndOfThatPass() throws Exception {
        Node a = node();
        Node b = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        assertThat(user.body(a, "/async-dispatch?name=a&value=2")).isEqualTo("dispatched:2");
        assertThat(user.body(b, "/get?name=a")).isEqualTo("2");
        assertThat(user.body(b, "/get?name=a-dispatched")).isEqualTo("ASYNC");
    }

    @Test
    void asyncRequest_whoseSessionIsNewInTheDispatch_getsItsCookie() throws Exception {
        Node a = node();
        Node b = node();
        Browser user = new Browser();
        assertThat(user.body(a, "/async-dispatch?name=n&value=fresh")).isEqualTo("dispatched:fresh");
        assertThat(user.cookie).startsWith("SID=");
        assertThat(user.body(b, "/get?name=n")).isEqualTo("fresh");
    }

    @Test
    void asyncRequest_thatTimesOut_keepsWhatItChanged() throws Exception {
        Node a = node();
        Node b = node();
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        HttpResponse<String> timedOut = user.get(a, "/async-timeout?name=a&value=2");
        assertThat(timedOut.statusCode()).as(timedOut.body()).isEqualTo(500);
        assertThat(user.body(b, "/get?name=a")).isEqualTo("2");
    }

    @Test
    void asyncRequest_readsBackTheContextItStarted() throws Exception {
        Node a = node();
        assertThat(new Browser().body(a, "/async-context")).isEqualTo("same");
    }

    /** Mapped for REQUEST and ERROR only, the dispatched pass runs outside the filter: saved late, not lost. */
    @Test
    void asyncRequest_dispatchedPastAFilterNotMappedForAsync_isStillSaved() throws Exception {
        Node a = node(containersMappedForRequestAndErrorOnly(), store, o -> o);
        Browser user = new Browser();
        user.body(a, "/set?name=a&value=1");
        assertThat(user.body(a, "/async-dispatch?name=a&value=2")).isEqualTo("dispatched:2");
        // the late save happens as the container completes, just after the response
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!user.body(a, "/get?name=a-dispatched").equals("ASYNC") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(user.body(a, "/get?name=a")).isEqualTo("2");
        assertThat(user.body(a, "/get?name=a-dispatched")).isEqualTo("ASYNC");
    }
}
