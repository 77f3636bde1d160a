package dev.satchel.lab;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The accounts the lab's shoppers log in with: a small pool signed up through the shop once, before
 * the load, because the shop lets one address sign up only twenty accounts an hour and every hash
 * costs tens of milliseconds; many shoppers then log in to each account at once, as people do from
 * several devices. The names are fixed and the password comes from the cluster's data directory, so
 * a second run on the same directory finds the accounts it made before.
 *
 * @param usernames the accounts' user names
 * @param password the password of every one of them
 */
record ShopperAccounts(List<String> usernames, String password) {
    /** Under the shop's free sign-ups per address, with room for a person's own account. */
    static final int POOL_SIZE = 8;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(30); // a few hashes' time on a busy node

    ShopperAccounts {
        usernames = List.copyOf(usernames);
    }

    /** No accounts: every shopper stays anonymous. */
    static final ShopperAccounts NONE = new ShopperAccounts(List.of(), "");

    boolean isEmpty() {
        return usernames.isEmpty();
    }

    /** The JSON body of a sign-up or a login as {@code username}. */
    String credentials(String username) {
        ObjectNode body = JSON.createObjectNode().put("username", username).put("password", password);
        return body.toString();
    }

    /**
     * Logs in to each account of the pool through the shop at {@code entry}, and signs up the ones
     * that do not exist yet. Logging in first matters: the shop counts every sign-up attempt from an
     * address, taken names too, and a run starts a cluster per strategy on the same accounts.
     *
     * @throws IllegalStateException when the shop refuses a sign-up or a login
     */
    static ShopperAccounts ensure(HttpClient http, URI entry, String password) throws Exception {
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= POOL_SIZE; i++) {
            names.add("lab-shopper-" + i);
        }
        ShopperAccounts accounts = new ShopperAccounts(names, password);
        for (String name : names) {
            HttpResponse<String> login = post(http, entry.resolve("/api/login"), accounts.credentials(name));
            if (login.statusCode() == 200) {
                continue;
            }
            if (login.statusCode() != 401) {
                throw new IllegalStateException("the shop refused the lab's login as " + name + ": HTTP "
                        + login.statusCode() + " " + login.body());
            }
            HttpResponse<String> signup = post(http, entry.resolve("/api/signup"), accounts.credentials(name));
            if (signup.statusCode() == 409) {
                throw new IllegalStateException(
                        "the lab's account " + name + " exists with another password: remove the lab's --data-dir");
            }
            if (signup.statusCode() != 201) {
                throw new IllegalStateException(
                        "the shop refused to sign up " + name + ": HTTP " + signup.statusCode() + " " + signup.body());
            }
        }
        return accounts;
    }

    private static HttpResponse<String> post(HttpClient http, URI uri, String json) throws Exception {
        return http.send(
                HttpRequest.newBuilder(uri)
                        .timeout(TIMEOUT)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
