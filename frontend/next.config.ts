import type { NextConfig } from "next";

// Rewrites are evaluated at `next build` time: set BACKEND_URL before building.
const backendUrl = (process.env.BACKEND_URL || "http://127.0.0.1:8000").replace(/\/+$/, "");

const nextConfig: NextConfig = {
  // The end-to-end run builds into its own folder (see playwright.config.ts).
  distDir: process.env.NEXT_DIST_DIR || ".next",
  reactStrictMode: true,
  poweredByHeader: false,
  // Named by the "can't reach the API" banner (lib/backend-status.ts).
  env: { NEXT_PUBLIC_BACKEND_URL: backendUrl },
  async rewrites() {
    return [
      { source: "/api/v1/:path*", destination: `${backendUrl}/api/v1/:path*` },
      { source: "/health", destination: `${backendUrl}/health` },
    ];
  },
};

export default nextConfig;
