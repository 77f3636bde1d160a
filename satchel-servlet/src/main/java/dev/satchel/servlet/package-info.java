/**
 * The Jakarta Servlet 6 side: {@link dev.satchel.servlet.SatchelFilter} gives an application an
 * {@code HttpSession} backed by any {@link dev.satchel.core.SessionStore} (or a {@link
 * dev.satchel.core.SessionSealer}), with the id resolvers (cookie, header, URL), {@link
 * dev.satchel.servlet.SessionOptions}, the application's listeners, the new-session throttle and
 * "log out everywhere" ({@link dev.satchel.servlet.SatchelSessions}). It depends on core only, never
 * on a store: the application, or {@code satchel-dist}, hands it one.
 */
package dev.satchel.servlet;
