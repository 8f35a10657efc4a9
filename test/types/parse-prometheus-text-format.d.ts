declare module "parse-prometheus-text-format" {
  type Family = {
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    metrics: {
      labels?: Record<string, string>;
      value?: string;
      buckets?: Record<string, string>;
    }[];
  };
  export default function parsePrometheusTextFormat(text: string): Family[];
}
