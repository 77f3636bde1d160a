package dev.satchel.demo;

import jakarta.servlet.http.HttpServletRequest;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The address a request comes from, for throttling. {@code X-Forwarded-For} is believed only from
 * loopback, where the demo's balancer runs, and only its last entry, the one the balancer appended
 * (earlier entries are whatever the client wrote). A node reached from another host is keyed on
 * that host's address, so a balancer on another host makes all its clients one address.
 */
final class ClientAddress {
    /** Longest textual IPv6 address (with an embedded IPv4 one). */
    private static final int MAX_LENGTH = 45;

    private ClientAddress() {}

    static String of(HttpServletRequest req) {
        String peer = unbracketed(req.getRemoteAddr());
        String forwarded = req.getHeader("X-Forwarded-For");
        if (forwarded == null || !isLoopback(peer)) {
            return peer;
        }
        String last = forwarded.substring(forwarded.lastIndexOf(',') + 1).strip();
        return looksLikeAnAddress(last) ? last : peer;
    }

    private static String unbracketed(String address) {
        return address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1) : address;
    }

    private static boolean isLoopback(String address) {
        if (!looksLikeAnAddress(address)) {
            return false;
        }
        try {
            return InetAddress.getByName(address).isLoopbackAddress(); // a literal: no DNS lookup
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Digits, hex, dots and colons only: keeps counter keys short and never triggers a DNS lookup. */
    private static boolean looksLikeAnAddress(String s) {
        if (s.isEmpty() || s.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!hex && c != '.' && c != ':') {
                return false;
            }
        }
        return true;
    }
}
