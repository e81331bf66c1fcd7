package io.jvirt.placement;

/**
 * One fit, ready to log: the host's free resources per node, the request, the outcome and (when it fits) the score
 * broken into its terms. {@link #toString()} is multi-line.
 *
 * @param host    per-node summary of the host before placement
 * @param request the request in words
 * @param outcome what {@link Fitter#fit} answered
 * @param score   the allocation's score terms, null for a rejection
 */
public record FitterReport(String host, String request, Outcome outcome, FitScore score) {

    public boolean fits() {
        return outcome instanceof Outcome.Allocation;
    }

    @Override
    public String toString() {
        return "host: " + host + (host.endsWith("\n") ? "" : "\n")
                + "request: " + request + "\n"
                + Fitter.explain(outcome)
                + (score == null ? "" : "  " + score + "\n");
    }
}
