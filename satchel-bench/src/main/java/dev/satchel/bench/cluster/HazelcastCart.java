package dev.satchel.bench.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.replicatedmap.ReplicatedMap;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * The benchmark's app with its sessions in a Hazelcast map, as a session layer on Hazelcast keeps
 * them: the id in a cookie, the attributes as one map value. The partitioned map (an {@code IMap},
 * one synchronous backup by default) is written with an entry processor that carries only the
 * changed attribute, as Spring Session's Hazelcast repository did; a replicated map has no entry
 * processors, so the whole session is put again. Reads are {@code get}, loading at the start of
 * the request as a session layer does.
 */
final class HazelcastCart extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final String COOKIE = "HZSESSION";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final transient IMap<String, HashMap<String, String>> partitioned;
    private final transient ReplicatedMap<String, HashMap<String, String>> replicated;

    HazelcastCart(HazelcastInstance hz, boolean useReplicatedMap) {
        this.replicated = useReplicatedMap ? hz.getReplicatedMap("sessions") : null;
        this.partitioned = useReplicatedMap ? null : hz.getMap("sessions");
    }

    int localEntries() {
        if (replicated != null) {
            return replicated.getReplicatedMapStats().getOwnedEntryCount() > 0
                    ? (int) replicated.getReplicatedMapStats().getOwnedEntryCount()
                    : replicated.size();
        }
        return (int) (partitioned.getLocalMapStats().getOwnedEntryCount()
                + partitioned.getLocalMapStats().getBackupEntryCount());
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String id = sessionId(request);
        HashMap<String, String> session = id == null ? null : get(id);
        if (session == null) {
            byte[] random = new byte[24];
            RANDOM.nextBytes(random);
            id = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            HashMap<String, String> fresh = new HashMap<>();
            for (int a = 0; a < CartWorkload.ATTRIBUTES; a++) {
                fresh.put(CartWorkload.name(a), CartWorkload.initial(a));
            }
            if (replicated != null) {
                replicated.put(id, fresh);
            } else {
                partitioned.set(id, fresh);
            }
            Cookie cookie = new Cookie(COOKIE, id);
            cookie.setHttpOnly(true);
            cookie.setPath("/");
            response.addCookie(cookie);
            CartWorkload.answer(response, 0, 0);
            return;
        }
        int length = 0;
        for (int a = 0; a < CartWorkload.ATTRIBUTES; a++) {
            String value = session.get(CartWorkload.name(a));
            length += value == null ? 0 : value.length();
        }
        String cart = session.get(CartWorkload.CART);
        if (request.getParameter("read") == null) {
            String next = CartWorkload.next(cart);
            if (replicated != null) {
                HashMap<String, String> changed = new HashMap<>(session);
                changed.put(CartWorkload.CART, next);
                replicated.put(id, changed);
            } else {
                partitioned.executeOnKey(id, new SetAttribute(CartWorkload.CART, next));
            }
        }
        CartWorkload.answer(response, length, CartWorkload.counter(cart));
    }

    private HashMap<String, String> get(String id) {
        return replicated != null ? replicated.get(id) : partitioned.get(id);
    }

    private static String sessionId(HttpServletRequest request) {
        Cookie[] cookies = request.getCookies();
        if (cookies != null) {
            for (Cookie c : cookies) {
                if (COOKIE.equals(c.getName())) {
                    return c.getValue();
                }
            }
        }
        return null;
    }

    /** Sets one attribute where the session lives, and on its backup: only the change travels. */
    static final class SetAttribute implements EntryProcessor<String, HashMap<String, String>, Object> {
        private static final long serialVersionUID = 1L;
        private final String name;
        private final String value;

        SetAttribute(String name, String value) {
            this.name = name;
            this.value = value;
        }

        @Override
        public Object process(Map.Entry<String, HashMap<String, String>> entry) {
            HashMap<String, String> session = entry.getValue();
            if (session != null) {
                session.put(name, value);
                entry.setValue(session);
            }
            return null;
        }
    }
}
