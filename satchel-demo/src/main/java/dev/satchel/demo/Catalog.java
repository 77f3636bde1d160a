package dev.satchel.demo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The fixed list of things the demo shop sells. Immutable. */
final class Catalog {
    /** One product. */
    record Item(String sku, String name, long priceCents) {}

    private static final List<Item> ITEMS = List.of(
            new Item("SHOES-01", "Trail shoes", 8900),
            new Item("HAT-01", "Wool hat", 2400),
            new Item("SOCKS-03", "Hiking socks, 3 pairs", 1500),
            new Item("BAG-01", "Canvas satchel", 6500),
            new Item("MUG-01", "Enamel mug", 1200),
            new Item("MAP-01", "Trail map", 900));

    private final Map<String, Item> bySku = new LinkedHashMap<>();

    Catalog() {
        ITEMS.forEach(i -> bySku.put(i.sku(), i));
    }

    List<Item> items() {
        return ITEMS;
    }

    Optional<Item> find(String sku) {
        return Optional.ofNullable(bySku.get(sku));
    }
}
