package dev.satchel.spring.boot;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;

/** A Boot application that keeps a counter in its HttpSession, synchronously and asynchronously. */
@SpringBootApplication
public class CounterApplication {

    /** The pages: each answers with what it did to the session. */
    @RestController
    static class Pages {
        @GetMapping("/count")
        String count(HttpSession session) {
            Object n = session.getAttribute("n");
            int next = n == null ? 1 : Integer.parseInt(n.toString()) + 1;
            session.setAttribute("n", Integer.toString(next));
            return Integer.toString(next);
        }

        @GetMapping("/get")
        String get(HttpSession session, @RequestParam("name") String name) {
            return String.valueOf(session.getAttribute(name));
        }

        /** The session changes on another thread, after the request thread has left. */
        @GetMapping("/deferred")
        DeferredResult<String> deferred(HttpServletRequest request, @RequestParam("value") String value) {
            HttpSession session = request.getSession();
            DeferredResult<String> result = new DeferredResult<>(5_000L);
            CompletableFuture.runAsync(() -> {
                session.setAttribute("deferred", value);
                result.setResult("deferred:" + value);
            });
            return result;
        }

        /** Spring MVC runs the callable on its task executor, then dispatches back. */
        @GetMapping("/callable")
        Callable<String> callable(HttpSession session, @RequestParam("value") String value) {
            return () -> {
                session.setAttribute("callable", value);
                return "callable:" + value;
            };
        }
    }
}
