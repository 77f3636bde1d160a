package dev.satchel.spring.boot;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Says what went wrong with Satchel's settings, and what to change, in Boot's start-up report. */
final class SatchelFailureAnalyzer extends AbstractFailureAnalyzer<SatchelConfigurationException> {
    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, SatchelConfigurationException cause) {
        return new FailureAnalysis(cause.getMessage(), cause.action(), cause);
    }
}
