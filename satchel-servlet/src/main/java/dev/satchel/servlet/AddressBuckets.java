package dev.satchel.servlet;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Token buckets keyed by client address, in a table of bounded size that a client with many
 * addresses cannot grow: buckets that have refilled completely are dropped (a full bucket is the
 * same as none), and when every slot is busy, unknown addresses share one overflow bucket. One
 * lock: this is taken once per new session, not per request.
 */
final class AddressBuckets {
    /** The bucket that addresses share when the table is full. */
    static final String OVERFLOW = "*";

    private final double capacity;
    private final double perMilli;
    private final int maxAddresses;
    private final Clock clock;
    private final Map<String, Bucket> buckets = new HashMap<>();
    private final Bucket overflow;
    private long lastPurge;

    private static final class Bucket {
        double tokens;
        long updatedAt;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.updatedAt = now;
        }
    }

    AddressBuckets(int burst, double perSecond, int maxAddresses, Clock clock) {
        this.capacity = burst;
        this.perMilli = perSecond / 1000.0;
        this.maxAddresses = maxAddresses;
        this.clock = clock;
        this.overflow = new Bucket(burst, clock.millis());
    }

    /**
     * Takes a token from {@code key}'s bucket.
     *
     * @return zero if taken, else how long until one is there
     */
    synchronized Duration take(String key) {
        long now = clock.millis();
        Bucket bucket = buckets.get(key);
        if (bucket == null) {
            if (buckets.size() >= maxAddresses) {
                purgeFull(now);
            }
            if (buckets.size() >= maxAddresses) {
                bucket = overflow;
            } else {
                bucket = new Bucket(capacity, now);
                buckets.put(key, bucket);
            }
        }
        refill(bucket, now);
        if (bucket.tokens >= 1) {
            bucket.tokens -= 1;
            return Duration.ZERO;
        }
        long millis = (long) Math.ceil((1 - bucket.tokens) / perMilli);
        return Duration.ofMillis(Math.max(1, millis));
    }

    synchronized int tracked() {
        return buckets.size();
    }

    private void refill(Bucket bucket, long now) {
        if (now > bucket.updatedAt) {
            bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.updatedAt) * perMilli);
            bucket.updatedAt = now;
        }
    }

    /** Drops buckets that have refilled; at most once a second, so a full table costs no scan per call. */
    private void purgeFull(long now) {
        if (now - lastPurge < 1000) {
            return;
        }
        lastPurge = now;
        for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
            Bucket b = it.next();
            refill(b, now);
            if (b.tokens >= capacity) {
                it.remove();
            }
        }
    }

    /**
     * The bucket key of an address: IPv6 addresses by their /64 network, since one host usually
     * holds a whole /64 and could otherwise take a fresh bucket per request; anything else as is.
     */
    static String key(String address) {
        String a =
                address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1) : address;
        if (a.indexOf(':') < 0 || a.length() > 45) {
            return a;
        }
        int[] groups = ipv6Groups(a);
        if (groups == null) {
            return a;
        }
        return String.format("%x:%x:%x:%x::/64", groups[0], groups[1], groups[2], groups[3]);
    }

    /** The eight 16-bit groups of a textual IPv6 address, or null if it is not one. No DNS, ever. */
    private static int[] ipv6Groups(String a) {
        int zone = a.indexOf('%');
        String s = zone >= 0 ? a.substring(0, zone) : a;
        int gap = s.indexOf("::");
        if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        String[] head = gap >= 0 ? split(s.substring(0, gap)) : split(s);
        String[] tail = gap >= 0 ? split(s.substring(gap + 2)) : new String[0];
        int given = groupCount(head) + groupCount(tail);
        if (head == null || tail == null || given > 8 || (gap < 0 && given != 8)) {
            return null;
        }
        int[] groups = new int[8];
        if (!fill(head, groups, 0) || !fill(tail, groups, 8 - groupCount(tail))) {
            return null;
        }
        return groups;
    }

    private static String[] split(String part) {
        return part.isEmpty() ? new String[0] : part.split(":", -1);
    }

    /** Groups a part stands for: an embedded IPv4 address at the end counts as two. */
    private static int groupCount(String[] part) {
        if (part == null) {
            return 0;
        }
        int n = part.length;
        return n > 0 && part[n - 1].contains(".") ? n + 1 : n;
    }

    /** ASCII hex digits only: parseInt would also take a sign and non-ASCII digits. */
    private static boolean isHex(String g) {
        for (int i = 0; i < g.length(); i++) {
            char c = g.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return false;
            }
        }
        return true;
    }

    private static boolean fill(String[] part, int[] groups, int from) {
        int at = from;
        for (String g : part) {
            if (g.contains(".")) {
                return at == 6; // embedded IPv4: only in the last two groups, which /64 ignores
            }
            if (g.isEmpty() || g.length() > 4 || at >= 8 || !isHex(g)) {
                return false;
            }
            try {
                groups[at++] = Integer.parseInt(g, 16);
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return true;
    }
}
