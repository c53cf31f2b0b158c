/**
 * The block-device API applications use, whatever drives the disk: blkfront over Xen's shared
 * rings in a paravirtual kernel, the ATA driver on the legacy ports in a native one.
 */
package org.parasol.guest.blk;
