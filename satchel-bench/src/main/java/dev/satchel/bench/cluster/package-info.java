/**
 * The clustering benchmarks. {@link dev.satchel.bench.cluster.ClusterPeersBench} runs the same cart
 * app ({@link dev.satchel.bench.cluster.PeerNode}) on real node processes for each contender
 * (Satchel's cluster stores, Tomcat's DeltaManager and BackupManager, Hazelcast) and measures
 * throughput, cluster bytes, memory and what a SIGKILL loses; {@link
 * dev.satchel.bench.cluster.ClusterBench} and {@link dev.satchel.bench.cluster.JoinPauseBench}
 * measure Satchel's two stores alone, in one JVM.
 */
package dev.satchel.bench.cluster;
