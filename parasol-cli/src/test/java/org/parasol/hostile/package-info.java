/**
 * Hostile guest kernels: one per attack class of issue 10 (and variants), packaged by
 * {@code org.parasol.cli.HostileImagesTest} into images and run by the real launcher's module
 * configuration beside a well-behaved domain. They use only hypercall-api and the JDK, as an
 * attacker's image would; those the bytecode check refuses are never loaded.
 */
package org.parasol.hostile;
