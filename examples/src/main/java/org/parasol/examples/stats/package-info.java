/**
 * What more than one example image prints about its measurements: nearest-rank latency
 * percentiles. Code here runs inside images, under the guest's JDK allow-list.
 */
package org.parasol.examples.stats;
