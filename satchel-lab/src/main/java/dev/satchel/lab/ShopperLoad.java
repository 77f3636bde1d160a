package dev.satchel.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.HttpCookie;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Virtual shoppers on a fixed arrival schedule (open loop): a new one every 1/rate seconds, each
 * browsing the catalog, adding, reading (or logging in to one of the lab's accounts, which keeps the
 * cart), removing and adding again, reading (or asking who it is, which must still be the account it
 * logged in to), then either logging out (and
 * trying the old cookie once more) or reading the cart a last time and coming back once, later, to
 * read it again, a think time apart. The return is what finds a session that a crash or a store
 * restart lost after its owner left: a visit is shorter than an outage. A request is
 * due at its scheduled time whether or not the previous one was late, and its latency counts from
 * then, so a stall shows. Every cart in a response goes through the shopper's {@link CartChecker}.
 */
final class ShopperLoad {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private final HttpClient http;
    private final URI entry;
    private final List<String> skus;
    private final long thinkNanos;
    private final long returnNanos;
    private final ScheduledExecutorService timer;
    private final RunRecorder recorder;
    private final long seed;
    private final String strategy;
    private final RequestTrace trace;
    private final ShopperAccounts accounts;
    private final int loginPercent;
    private final AtomicLong shopperCount = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile long stopNanos = Long.MAX_VALUE;
    private ScheduledFuture<?> arrivals;

    ShopperLoad(
            HttpClient http,
            URI entry,
            List<String> skus,
            Duration think,
            Duration returnAfter,
            ScheduledExecutorService timer,
            RunRecorder recorder,
            long seed,
            String strategy,
            RequestTrace trace,
            ShopperAccounts accounts,
            int loginPercent) {
        if (skus.isEmpty()) {
            throw new IllegalArgumentException("the catalog is empty");
        }
        this.http = http;
        this.strategy = strategy;
        this.trace = trace;
        this.entry = entry;
        this.skus = List.copyOf(skus);
        this.thinkNanos = think.toNanos();
        this.returnNanos = returnAfter.toNanos();
        this.timer = timer;
        this.recorder = recorder;
        this.seed = seed;
        this.accounts = accounts;
        this.loginPercent = accounts.isEmpty() ? 0 : loginPercent;
    }

    /** Shoppers start arriving, {@code perSecond} of them each second, the first at {@code firstNanos}. */
    void start(long firstNanos, double perSecond) {
        long period = Math.max(1, (long) (1e9 / perSecond));
        long[] next = {firstNanos};
        arrivals = timer.scheduleAtFixedRate(
                () -> {
                    long due = next[0];
                    next[0] += period;
                    if (due < stopNanos) {
                        new Shopper(due).schedule(0);
                    }
                },
                Math.max(0, firstNanos - System.nanoTime()),
                period,
                TimeUnit.NANOSECONDS);
    }

    /** No request due from {@code nanos} on is sent, and no shopper arrives. */
    void stopAt(long nanos) {
        stopNanos = nanos;
    }

    /** Waits up to {@code wait} for the requests still out, after the arrivals stopped. */
    void drain(Duration wait) throws InterruptedException {
        if (arrivals != null) {
            arrivals.cancel(false);
        }
        long until = System.nanoTime() + wait.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
    }

    /** One virtual shopper: its cookies, its model, and where it is in its visit. */
    private final class Shopper {
        private final String name = "u" + shopperCount.incrementAndGet();
        private final long arrivalNanos;
        private final Random random;
        private final boolean logsOut;
        /** The account this shopper logs in to at step 3; empty: it stays anonymous. */
        private final Optional<String> account;

        private final CartChecker checker = new CartChecker();
        private final Map<String, String> cookies = new LinkedHashMap<>();
        private Map<String, String> cookiesBeforeLogout = Map.of();
        private CartState cartBeforeLogout = CartState.EMPTY;
        private boolean logoutKnown;

        Shopper(long arrivalNanos) {
            this.arrivalNanos = arrivalNanos;
            this.random = new Random(seed ^ (arrivalNanos * 31 + name.hashCode()));
            this.logsOut = random.nextBoolean();
            this.account = random.nextInt(100) < loginPercent
                    ? Optional.of(accounts.usernames()
                            .get(random.nextInt(accounts.usernames().size())))
                    : Optional.empty();
            recorder.shopperArrived(arrivalNanos);
        }

        /** Eight steps in a visit; then the replayed cookie after a logout, or the return. */
        private int steps() {
            return logsOut || returnNanos > 0 ? 9 : 8;
        }

        /** When a step is due: a think time apart, the return {@code returnNanos} after the visit. */
        private long due(int step) {
            return step == 8 && !logsOut
                    ? arrivalNanos + 7 * thinkNanos + returnNanos
                    : arrivalNanos + step * thinkNanos;
        }

        void schedule(int step) {
            if (step >= steps()) {
                return;
            }
            long due = due(step);
            if (due >= stopNanos) {
                return;
            }
            inFlight.incrementAndGet();
            timer.schedule(() -> send(step, due), Math.max(0, due - System.nanoTime()), TimeUnit.NANOSECONDS);
        }

        private String anySku() {
            return skus.get(random.nextInt(skus.size()));
        }

        private void send(int step, long due) {
            Optional<CartChange> change = Optional.empty();
            HttpRequest.Builder request;
            Map<String, String> jar = cookies;
            boolean asksWhoAmI = step == 6 && checker.user().isPresent(); // decided once: the answer is judged by it
            switch (step) {
                case 0 -> request = get("/api/catalog");
                case 1, 2, 5 -> {
                    change = Optional.of(CartChange.add(anySku(), 1 + random.nextInt(3)));
                    request = post(
                            "/api/cart/items",
                            "{\"sku\":\"" + change.get().sku() + "\",\"qty\":"
                                    + change.get().qty() + "}");
                }
                case 4 -> {
                    List<String> held =
                            List.copyOf(checker.acknowledged().items().keySet());
                    String sku = held.isEmpty() ? anySku() : held.get(random.nextInt(held.size()));
                    change = Optional.of(CartChange.remove(sku));
                    request = HttpRequest.newBuilder(entry.resolve("/api/cart/items/" + sku))
                            .DELETE();
                }
                case 3 -> request =
                        logsIn(step) ? post("/api/login", accounts.credentials(account.get())) : get("/api/cart");
                case 6 -> request = asksWhoAmI ? get("/api/me") : get("/api/cart");
                case 7 -> request = logsOut ? post("/api/logout", "") : get("/api/cart");
                case 8 -> {
                    request = get("/api/cart");
                    if (logsOut) {
                        jar = cookiesBeforeLogout;
                    }
                }
                default -> request = get("/api/cart");
            }
            String cookieHeader = jar.entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining("; "));
            if (!cookieHeader.isEmpty()) {
                request.header("Cookie", cookieHeader);
            }
            request.timeout(REQUEST_TIMEOUT);
            Optional<CartChange> asked = change;
            http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
                    .whenComplete((response, failure) -> {
                        try {
                            long done = System.nanoTime();
                            if (failure != null) {
                                failed(step, due, done, asked, cookieHeader.length(), failure);
                            } else {
                                answered(step, due, done, asked, asksWhoAmI, cookieHeader.length(), response);
                            }
                        } finally {
                            inFlight.decrementAndGet();
                            schedule(step == 7 && logsOut && !logoutKnown ? steps() : step + 1);
                        }
                    });
        }

        /** Whether {@code step} is this shopper's login. */
        private boolean logsIn(int step) {
            return step == 3 && account.isPresent();
        }

        private HttpRequest.Builder get(String path) {
            return HttpRequest.newBuilder(entry.resolve(path)).GET();
        }

        private HttpRequest.Builder post(String path, String json) {
            HttpRequest.Builder b = HttpRequest.newBuilder(entry.resolve(path));
            return json.isEmpty()
                    ? b.POST(HttpRequest.BodyPublishers.noBody())
                    : b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        }

        private void failed(
                int step, long due, long done, Optional<CartChange> change, int cookieBytes, Throwable failure) {
            trace.record(strategy, name, step, done - due, change, "failed: " + failure, "none", "");
            recorder.request(due, done, false, Optional.empty(), cookieBytes, 0);
            Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
            String what = cause.getClass().getSimpleName() + ": " + cause.getMessage();
            if (change.isPresent()) {
                checker.unknownOutcome(change.get());
                recorder.anomaly(due, AnomalyKind.INDETERMINATE, "none", name, change.get() + ": " + what);
            } else if (logsIn(step)) {
                checker.loginUnknown();
                recorder.anomaly(due, AnomalyKind.INDETERMINATE, "none", name, "login: " + what);
            } else {
                recorder.anomaly(due, AnomalyKind.ERROR, "none", name, "step " + step + ": " + what);
            }
        }

        private void answered(
                int step,
                long due,
                long done,
                Optional<CartChange> change,
                boolean asksWhoAmI,
                int cookieBytes,
                HttpResponse<String> response) {
            int status = response.statusCode();
            trace.record(
                    strategy,
                    name,
                    step,
                    done - due,
                    change,
                    Integer.toString(status),
                    response.headers().firstValue("X-Served-By").orElse("balancer"),
                    response.body());
            Optional<String> servedBy = response.headers().firstValue("X-Served-By");
            String node = servedBy.orElse("balancer");
            List<String> setCookies = response.headers().allValues("Set-Cookie");
            int setCookieBytes = setCookies.stream().mapToInt(String::length).sum();
            boolean ok = status >= 200 && status < 300;
            recorder.request(due, done, ok || asksWhoAmI && status == 401, servedBy, cookieBytes, setCookieBytes);
            if (asksWhoAmI && (ok || status == 401)) {
                // 401 is the shop's honest answer for a session it no longer has: the loss is the finding
                setCookies.forEach(this::keep);
                checker.whoAmI(status, ok ? userIn(response.body()) : Optional.empty())
                        .ifPresent(f -> recorder.anomaly(due, f.kind(), node, name, f.detail()));
                return;
            }
            if (!ok) {
                // A 5xx to a write does not say the write did not happen: a store that applied it
                // and died before answering gives the same 503 as one that never saw it.
                boolean mayHaveApplied = (change.isPresent() || logsIn(step)) && status >= 500;
                change.ifPresent(checker::unknownOutcome);
                if (mayHaveApplied && logsIn(step)) {
                    checker.loginUnknown();
                }
                recorder.anomaly(
                        due,
                        mayHaveApplied ? AnomalyKind.INDETERMINATE : AnomalyKind.ERROR,
                        node,
                        name,
                        "step " + step
                                + change.map(c -> " (" + c + ")").orElse(logsIn(step) ? " (login)" : "")
                                + ": HTTP " + status);
                return;
            }
            if (step == 7 && logsOut) {
                cookiesBeforeLogout = Map.copyOf(cookies);
                cartBeforeLogout = checker.acknowledged();
                logoutKnown = true;
                checker.loggedOut();
            }
            if (step != 8 || !logsOut) {
                setCookies.forEach(this::keep); // a replayed old cookie must not overwrite the shopper's own
            }
            if (logsIn(step)) {
                checker.loggedIn(account.get()); // the new session id came in Set-Cookie, kept above
                return;
            }
            if (step == 0 || step == 7 && logsOut) {
                return; // the catalog, and a logout's 204, carry no cart
            }
            CartState cart;
            try {
                cart = CartState.fromJson(JSON.readTree(response.body()));
            } catch (Exception e) {
                recorder.anomaly(due, AnomalyKind.ERROR, node, name, "step " + step + ": " + e.getMessage());
                change.ifPresent(checker::unknownOutcome);
                return;
            }
            Optional<CartChecker.Finding> finding = step == 8 && logsOut
                    ? CartChecker.replayedAfterLogout(cart, cartBeforeLogout)
                    : change.isPresent() ? checker.written(change.get(), cart) : checker.read(cart);
            finding.ifPresent(f -> recorder.anomaly(due, f.kind(), node, name, f.detail()));
        }

        /** The user name in a {@code /api/me} answer; empty when the body says none. */
        private Optional<String> userIn(String body) {
            try {
                JsonNode name = JSON.readTree(body).path("username");
                return name.isTextual() ? Optional.of(name.asText()) : Optional.empty();
            } catch (Exception e) {
                return Optional.empty();
            }
        }

        /** Keeps or drops a cookie as a browser would. */
        private void keep(String setCookie) {
            List<HttpCookie> parsed;
            try {
                parsed = HttpCookie.parse(setCookie);
            } catch (IllegalArgumentException e) {
                return;
            }
            for (HttpCookie c : parsed) {
                if (c.getMaxAge() == 0 || c.hasExpired()) {
                    cookies.remove(c.getName());
                } else {
                    cookies.put(c.getName(), c.getValue());
                }
            }
        }
    }

    /** The catalog's SKUs, asked of the shop once before the load starts. */
    static List<String> catalog(HttpClient http, URI entry) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(entry.resolve("/api/catalog"))
                        .timeout(REQUEST_TIMEOUT)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("the shop's catalog answered HTTP " + r.statusCode());
        }
        JsonNode items = JSON.readTree(r.body()).path("items");
        List<String> skus = new java.util.ArrayList<>();
        items.forEach(i -> skus.add(i.path("sku").asText()));
        return skus;
    }
}
