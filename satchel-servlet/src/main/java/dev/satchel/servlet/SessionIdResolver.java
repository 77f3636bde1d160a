package dev.satchel.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * How a request carries its session id, and how a response hands a new one back. Implementations
 * are thread-safe and stateless.
 */
public interface SessionIdResolver {

    /** Returns the ids the request carries, first preferred; tokens are raw and unvalidated. */
    List<RequestedId> resolve(HttpServletRequest request);

    /** Hands the client its (new) session id token. Called before the response is committed. */
    void write(HttpServletRequest request, HttpServletResponse response, String token);

    /** Tells the client to forget its session id. Called before the response is committed. */
    void expire(HttpServletRequest request, HttpServletResponse response);

    /** Tries each resolver in order; writes and expires through all of them. */
    static SessionIdResolver firstOf(SessionIdResolver... resolvers) {
        List<SessionIdResolver> all = List.of(resolvers);
        return new SessionIdResolver() {
            @Override
            public List<RequestedId> resolve(HttpServletRequest request) {
                List<RequestedId> ids = new ArrayList<>();
                for (SessionIdResolver r : all) {
                    ids.addAll(r.resolve(request));
                }
                return ids;
            }

            @Override
            public void write(HttpServletRequest request, HttpServletResponse response, String token) {
                all.forEach(r -> r.write(request, response, token));
            }

            @Override
            public void expire(HttpServletRequest request, HttpServletResponse response) {
                all.forEach(r -> r.expire(request, response));
            }
        };
    }
}
