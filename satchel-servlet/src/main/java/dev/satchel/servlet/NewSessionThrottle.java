package dev.satchel.servlet;

import jakarta.servlet.http.HttpServletRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * Limits how fast one client address may create sessions, so that one client cannot fill the
 * store: each address has a bucket of {@link Builder#burst} new sessions, refilled at {@link
 * Builder#perSecond}. A request that would create a session beyond that fails with {@link
 * NewSessionsThrottledException}, which the filter answers with 429 and {@code Retry-After};
 * requests that create no session, and other addresses, are not affected.
 *
 * <p><b>Addresses.</b> By default the TCP peer, which a client cannot forge. Behind a reverse proxy
 * every client has the proxy's address: give {@link Builder#clientAddress} a function that reads
 * the proxy's header, and trust that header only from the proxy itself. IPv6 addresses count per
 * /64 network, since one host usually holds a whole /64.
 *
 * <p><b>Memory</b> is bounded: at most {@link Builder#maxAddresses} buckets are kept; when they are
 * all busy, further addresses share one bucket, so a client with very many addresses throttles
 * itself (and other new addresses) rather than growing this table. Thread-safe; share one per filter.
 */
public final class NewSessionThrottle {
    /** Default bucket size: a burst that a page of parallel requests or a shared office address needs. */
    public static final int DEFAULT_BURST = 200;

    /** Default refill rate: new sessions per second per address once the burst is spent. */
    public static final double DEFAULT_PER_SECOND = 10;

    /** Default number of addresses tracked at once. */
    public static final int DEFAULT_MAX_ADDRESSES = 10_000;

    private final Function<HttpServletRequest, String> clientAddress;
    private final AddressBuckets buckets;

    private NewSessionThrottle(Builder b) {
        this.clientAddress = b.clientAddress;
        this.buckets = new AddressBuckets(b.burst, b.perSecond, b.maxAddresses, b.clock);
    }

    /** Starts a configuration with the defaults: 200 at once, then 10 a second, per address. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Takes one new session from the request's address.
     *
     * @throws NewSessionsThrottledException if the address has created too many too fast
     */
    void admit(HttpServletRequest request) {
        String address = clientAddress.apply(request);
        Duration wait = buckets.take(AddressBuckets.key(address == null ? "" : address));
        if (!wait.isZero()) {
            throw new NewSessionsThrottledException(wait);
        }
    }

    /** Configures a {@link NewSessionThrottle}. Not thread-safe. */
    public static final class Builder {
        private int burst = DEFAULT_BURST;
        private double perSecond = DEFAULT_PER_SECOND;
        private int maxAddresses = DEFAULT_MAX_ADDRESSES;
        private Function<HttpServletRequest, String> clientAddress = HttpServletRequest::getRemoteAddr;
        private Clock clock = Clock.systemUTC();

        private Builder() {}

        /** New sessions an address may create at once, before the rate applies. */
        public Builder burst(int burst) {
            if (burst < 1) {
                throw new IllegalArgumentException("burst must be at least 1: " + burst);
            }
            this.burst = burst;
            return this;
        }

        /** New sessions an address may create per second, sustained. */
        public Builder perSecond(double perSecond) {
            if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
                throw new IllegalArgumentException("perSecond must be a positive number: " + perSecond);
            }
            this.perSecond = perSecond;
            return this;
        }

        /** Most addresses tracked at once; beyond, new addresses share one bucket. */
        public Builder maxAddresses(int maxAddresses) {
            if (maxAddresses < 1) {
                throw new IllegalArgumentException("maxAddresses must be at least 1: " + maxAddresses);
            }
            this.maxAddresses = maxAddresses;
            return this;
        }

        /**
         * Where a request comes from (default: the TCP peer). Must not believe a header the client
         * writes, or the client picks its own bucket.
         */
        public Builder clientAddress(Function<HttpServletRequest, String> clientAddress) {
            this.clientAddress = Objects.requireNonNull(clientAddress, "clientAddress");
            return this;
        }

        /** The clock the buckets refill by; tests pass a fake one. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Builds the throttle. */
        public NewSessionThrottle build() {
            return new NewSessionThrottle(this);
        }
    }
}
