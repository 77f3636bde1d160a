/**
 * Sessions the client keeps: {@link dev.satchel.cookie.SealedCookieSessions} seals the whole
 * session into cookies with AES-256-GCM (Tink), {@link dev.satchel.cookie.JwtSessions} as a JWE or
 * JWS, and {@link dev.satchel.cookie.RevocationList} is the small server-side record that makes
 * logout real, kept in any {@link dev.satchel.core.SessionStore}. Both implement core's {@link
 * dev.satchel.core.SessionSealer}; this package knows no servlet API and no particular store.
 */
package dev.satchel.cookie;
