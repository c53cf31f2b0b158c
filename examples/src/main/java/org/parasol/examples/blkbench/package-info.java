/**
 * The blkbench example: a guest that measures throughput and IOPS of its virtual disk through
 * blkfront and dom0's blkback, one machine-readable line per test.
 */
package org.parasol.examples.blkbench;
