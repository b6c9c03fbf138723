package io.slmserve.core;

/** Lifecycle of one model folder. FAILED is terminal and carries a reason. */
public enum ModelState {
    LOADING,
    READY,
    FAILED
}
