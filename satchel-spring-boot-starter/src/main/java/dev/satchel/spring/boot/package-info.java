/**
 * Satchel for Spring Boot: {@link dev.satchel.spring.boot.SatchelAutoConfiguration} gives a servlet
 * application Satchel's sessions from one property, {@code satchel.store}, and {@link
 * dev.satchel.spring.boot.SatchelProperties} holds every other setting under {@code satchel.*}.
 */
package dev.satchel.spring.boot;
