/**
 * The {@code satchel} command (picocli): {@code demo}, {@code node} and {@code balancer}, and the
 * {@link dev.satchel.cli.ClusterSupervisor} that runs each demo node as its own JVM and implements
 * the balancer's {@link dev.satchel.balancer.NodeControl}. This is the one module that knows every
 * other: it turns a {@code --store} option into a store, hands it to the shop, and puts the
 * balancer in front; the runnable jar is built here.
 */
package dev.satchel.cli;
