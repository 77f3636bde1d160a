/**
 * Sessions on a node's own disk ({@code --store file:DIR}): {@link
 * dev.satchel.store.file.FileSessionStore}.
 */
package dev.satchel.store.file;
