package dev.satchel.lab;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A cart as the shop's API shows it: quantities by SKU and the version the shop moves on with each
 * change. The version is what lets the checker tell an older state from a lost one.
 */
record CartState(Map<String, Integer> items, long version) {
    static final CartState EMPTY = new CartState(Map.of(), 0);

    CartState {
        items = Map.copyOf(items);
        if (version < 0) {
            throw new IllegalArgumentException("version " + version);
        }
    }

    /**
     * The cart in a shop response, {@code {"items":[{"sku":..,"qty":..}],"version":n}}.
     *
     * @throws IllegalArgumentException when the body is not such a cart
     */
    static CartState fromJson(JsonNode body) {
        JsonNode items = body.path("items");
        JsonNode version = body.path("version");
        if (!items.isArray() || !version.canConvertToLong()) {
            throw new IllegalArgumentException("not a cart: " + abbreviate(body.toString()));
        }
        Map<String, Integer> byItem = new TreeMap<>();
        for (JsonNode line : items) {
            String sku = line.path("sku").asText("");
            int qty = line.path("qty").asInt(0);
            if (sku.isEmpty() || qty <= 0 || byItem.put(sku, qty) != null) {
                throw new IllegalArgumentException("not a cart line: " + abbreviate(line.toString()));
            }
        }
        return new CartState(byItem, version.asLong());
    }

    /** The cart after a change, as the shop computes it: a removal of an absent item changes nothing. */
    CartState apply(CartChange change) {
        Objects.requireNonNull(change, "change");
        Map<String, Integer> next = new TreeMap<>(items);
        if (change.adds()) {
            next.merge(change.sku(), change.qty(), Integer::sum);
            return new CartState(next, version + 1);
        }
        if (next.remove(change.sku()) == null) {
            return this;
        }
        return new CartState(next, version + 1);
    }

    boolean isNew() {
        return version == 0 && items.isEmpty();
    }

    @Override
    public String toString() {
        return "v" + version + " " + new TreeMap<>(items);
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 120) + "...";
    }
}
