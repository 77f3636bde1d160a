/**
 * The lab: virtual shoppers driven through the balancer on a fixed arrival schedule, every
 * response checked against what that shopper's session must hold ({@link CartChecker}), faults
 * injected on a schedule, and a report ({@link LabReport}) that a user can regenerate with one
 * command. This module knows HTTP and the demo shop's JSON API only; starting a cluster for a
 * strategy is the caller's ({@link LabCluster}), so it depends on no store and no server.
 */
package dev.satchel.lab;
