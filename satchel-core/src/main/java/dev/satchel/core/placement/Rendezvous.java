package dev.satchel.core.placement;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Rendezvous (highest random weight) ranking of nodes for a key: every node gets a pseudo-random
 * weight for the key, and the heaviest node owns it; the next ones hold its backups.
 *
 * <p>This is the one placement function of Satchel. The balancer's {@code session-hash} and {@code
 * ip-hash} policies and the primary-backup store both call it, so a request routed by session id
 * lands on the node that owns the session's data, and when that node leaves, the node that held
 * the first backup becomes the owner. Adding or removing one of n nodes moves only about 1/n of
 * the keys, and only to or from that node.
 *
 * <p>Stateless and thread-safe. The ranking depends only on the key and the node names, so every
 * process computes the same one without talking to the others.
 */
public final class Rendezvous {

    private Rendezvous() {}

    /**
     * Returns every node, best first, for {@code key}.
     *
     * @param key the session id or client address to place
     * @param nodes distinct node names
     */
    public static List<String> rank(String key, Collection<String> nodes) {
        Objects.requireNonNull(key, "key");
        long keyHash = hash(key);
        List<String> ranked = new ArrayList<>(nodes);
        ranked.sort((a, b) -> {
            int byWeight = Long.compareUnsigned(weight(keyHash, b), weight(keyHash, a));
            return byWeight != 0 ? byWeight : a.compareTo(b);
        });
        return ranked;
    }

    /** Returns the first {@code k} nodes of the ranking: the owner, then its backups. */
    public static List<String> top(String key, Collection<String> nodes, int k) {
        if (k < 0) {
            throw new IllegalArgumentException("k must not be negative: " + k);
        }
        List<String> ranked = rank(key, nodes);
        return List.copyOf(ranked.subList(0, Math.min(k, ranked.size())));
    }

    /** Returns the node that owns {@code key}, or empty when there are no nodes. */
    public static Optional<String> owner(String key, Collection<String> nodes) {
        Objects.requireNonNull(key, "key");
        long keyHash = hash(key);
        String best = null;
        long bestWeight = 0;
        for (String node : nodes) {
            long w = weight(keyHash, node);
            if (best == null
                    || Long.compareUnsigned(w, bestWeight) > 0
                    || (w == bestWeight && node.compareTo(best) < 0)) {
                best = node;
                bestWeight = w;
            }
        }
        return Optional.ofNullable(best);
    }

    /** The weight of {@code node} for a key whose hash is {@code keyHash}; compared unsigned. */
    static long weight(long keyHash, String node) {
        // Mixing the key hash with a per-node seed through the MurmurHash3 finaliser gives each
        // (key, node) pair an independent-looking 64-bit weight.
        return mix(keyHash ^ mix(hash(node) + 0x9E3779B97F4A7C15L));
    }

    /** FNV-1a over UTF-8, 64-bit: fast, and good enough once mixed. */
    static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static long mix(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }
}
