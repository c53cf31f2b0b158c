/**
 * The xenstore-bench example: a guest that measures the store over its ring (requests per
 * second, one and sixteen in flight) and, paired with another, the latency of a watch event
 * from a write in one domain to the event in the other.
 */
package org.parasol.examples.xenstorebench;
