/**
 * The JMH benchmarks, run from {@code satchel-bench/target/benchmarks.jar} by their simple names:
 * the session work of one request (Satchel's filter against Jetty's own sessions, with and without
 * HTTP), and what sealed cookies and their freshness check cost a request. {@link
 * dev.satchel.bench.jmh.ShopServlet} is the request every one of them serves. The mains that start
 * servers and processes live in the sibling packages {@code store} and {@code cluster}.
 */
package dev.satchel.bench.jmh;
