/**
 * The hypervisor's public face: what {@code parasol-cli}, the benchmarks and tests use to
 * boot a host and its domains.
 */
package org.parasol.hypervisor;
