/**
 * Backend contracts, request and result records, model specs and the error vocabulary.
 *
 * <p>Depends on nothing of ours, on no Quarkus and no DJL type: every other package may import it.
 */
package io.slmserve.core;
