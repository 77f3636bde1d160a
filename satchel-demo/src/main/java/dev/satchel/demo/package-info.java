/**
 * The demo shop: one node of embedded Jetty 12 ({@link dev.satchel.demo.ShopNode}) with the Satchel
 * filter, a JSON API and pages for sign-up, login and a cart, its users in an H2 file of their own
 * (Argon2id passwords, login throttling), and the defences of a real site (cross-site requests,
 * session floods). It depends on the servlet module and core; a store is handed to it, so it names
 * no store class. {@code satchel-dist} runs it as processes behind the balancer.
 */
package dev.satchel.demo;
