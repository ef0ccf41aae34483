import { render, screen } from "../render";
import { describe, expect, it } from "vitest";
import { KeyTestStatus, rateLimitMessage } from "@/components/settings/key-test-status";

describe("KeyTestStatus", () => {
  it("is empty when idle", () => {
    render(<KeyTestStatus state={{ kind: "idle" }} testId="s" />);
    const el = screen.getByTestId("s");
    expect(el).toHaveAttribute("data-state", "idle");
    expect(el).toBeEmptyDOMElement();
  });

  it("shows a spinner while testing", () => {
    render(<KeyTestStatus state={{ kind: "testing" }} testId="s" />);
    expect(screen.getByTestId("spinner")).toBeInTheDocument();
    expect(screen.getByTestId("s")).toHaveTextContent("Testing the key…");
  });

  it("shows a green check with the message on success", () => {
    render(<KeyTestStatus state={{ kind: "success", message: "The key is valid." }} testId="s" />);
    const el = screen.getByTestId("s");
    expect(el).toHaveAttribute("data-state", "success");
    expect(el).toHaveClass("text-success");
    expect(screen.getByRole("img", { name: "Valid" })).toBeInTheDocument();
    expect(el).toHaveTextContent("The key is valid.");
  });

  it("shows a red cross with the message on failure", () => {
    render(<KeyTestStatus state={{ kind: "failure", message: "The key was rejected." }} testId="s" />);
    const el = screen.getByTestId("s");
    expect(el).toHaveClass("text-destructive");
    expect(screen.getByRole("img", { name: "Failed" })).toBeInTheDocument();
    expect(el).toHaveTextContent("The key was rejected.");
  });

  it("shows the rate-limit message with seconds", () => {
    render(<KeyTestStatus state={{ kind: "rate_limited", secondsLeft: 12 }} testId="s" />);
    expect(screen.getByTestId("s")).toHaveTextContent("Too many tests — try again in 12 s");
    expect(rateLimitMessage(3.2)).toBe("Too many tests — try again in 4 s");
  });

  it("announces changes politely", () => {
    render(<KeyTestStatus state={{ kind: "idle" }} testId="s" />);
    expect(screen.getByTestId("s")).toHaveAttribute("aria-live", "polite");
  });
});
