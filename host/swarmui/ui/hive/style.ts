// Role tints and shapes (reference §5.4 colours; the shapes are ours, so colour is never the
// only signal: queen hexagon, GPU square, LoRA diamond, bus triangle, heartbeat circle).

export const ROLE_TINT: Record<string, number> = {
  queen: 0x76e2a8,
  "worker-gpu": 0xf0a257,
  "worker-lora": 0x5fd3c7,
  "worker-bus": 0xff6b6b,
  "worker-heartbeat": 0x7ea7ff,
};
export const GENERIC_TINT = 0x55607a;
export const ERROR_TINT = 0xff6b6b;

export type Shape = "hexagon" | "square" | "diamond" | "triangle" | "circle";

export const ROLE_SHAPE: Record<string, Shape> = {
  queen: "hexagon",
  "worker-gpu": "square",
  "worker-lora": "diamond",
  "worker-bus": "triangle",
  "worker-heartbeat": "circle",
};

export const tintOf = (role: string): number => ROLE_TINT[role] ?? GENERIC_TINT;
export const shapeOf = (role: string): Shape => ROLE_SHAPE[role] ?? "circle";
