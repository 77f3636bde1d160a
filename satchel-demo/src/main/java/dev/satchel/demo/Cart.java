package dev.satchel.demo;

import java.util.ArrayList;
import java.util.List;

/**
 * A shopping cart as the session holds it: a record, so the codec stores it as JSON bound to this
 * class. Each change returns a new cart with the version moved on.
 *
 * @param items the lines, in the order they were first added
 * @param version how many changes the cart has seen
 */
record Cart(List<Line> items, long version) {
    static final int MAX_QTY_PER_LINE = 999;
    static final int MAX_LINES = 50;
    static final Cart EMPTY = new Cart(List.of(), 0);

    /** One product in the cart. */
    record Line(String sku, int qty) {}

    Cart {
        items = items == null ? List.of() : List.copyOf(items);
    }

    Cart add(String sku, int qty) {
        List<Line> next = new ArrayList<>(items);
        for (int i = 0; i < next.size(); i++) {
            Line line = next.get(i);
            if (line.sku().equals(sku)) {
                int total = line.qty() + qty;
                if (total > MAX_QTY_PER_LINE) {
                    throw new ApiException(400, "quantity_limit", "at most " + MAX_QTY_PER_LINE + " of one item");
                }
                next.set(i, new Line(sku, total));
                return new Cart(next, version + 1);
            }
        }
        if (next.size() >= MAX_LINES) {
            throw new ApiException(400, "cart_full", "at most " + MAX_LINES + " different items");
        }
        next.add(new Line(sku, qty));
        return new Cart(next, version + 1);
    }

    Cart remove(String sku) {
        List<Line> next = new ArrayList<>(items);
        return next.removeIf(l -> l.sku().equals(sku)) ? new Cart(next, version + 1) : this;
    }
}
