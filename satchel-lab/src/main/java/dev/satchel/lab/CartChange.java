package dev.satchel.lab;

import java.util.Objects;

/** A change a shopper asks of the cart: add some of an item, or remove its line. */
record CartChange(boolean adds, String sku, int qty) {
    CartChange {
        Objects.requireNonNull(sku, "sku");
        if (adds && qty < 1) {
            throw new IllegalArgumentException("qty " + qty);
        }
    }

    static CartChange add(String sku, int qty) {
        return new CartChange(true, sku, qty);
    }

    static CartChange remove(String sku) {
        return new CartChange(false, sku, 0);
    }

    @Override
    public String toString() {
        return adds ? "add " + qty + " " + sku : "remove " + sku;
    }
}
