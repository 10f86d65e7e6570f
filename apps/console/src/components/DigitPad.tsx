import { useEffect, useRef } from 'react';

const SIZE = 280;

/**
 * A canvas to draw a digit on with the mouse, a pen or a finger: white strokes on black, as MNIST.
 * toPixels() scales the drawing to the model's input size (grey values 0-255).
 */
export function DigitPad({ onChange, padRef }: { onChange: (hasInk: boolean) => void; padRef: React.MutableRefObject<DigitPadHandle | null> }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const ink = useRef(false);

  const clear = () => {
    const ctx = canvas.current!.getContext('2d')!;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, SIZE, SIZE);
    ink.current = false;
    onChange(false);
  };

  useEffect(() => {
    clear();
    padRef.current = {
      clear,
      hasInk: () => ink.current,
      toPixels: (w, h, channels) => {
        // Scale the bounding box of the ink into a 20x20 box centred in 28x28, as MNIST was made.
        const small = document.createElement('canvas');
        small.width = w;
        small.height = h;
        const sctx = small.getContext('2d', { willReadFrequently: true })!;
        sctx.fillStyle = '#000';
        sctx.fillRect(0, 0, w, h);
        const box = inkBox(canvas.current!);
        const side = Math.max(box.w, box.h);
        const inner = Math.round(Math.min(w, h) * (20 / 28));
        const scale = inner / side;
        const dw = box.w * scale;
        const dh = box.h * scale;
        sctx.imageSmoothingQuality = 'high';
        sctx.drawImage(canvas.current!, box.x, box.y, box.w, box.h, (w - dw) / 2, (h - dh) / 2, dw, dh);
        const rgba = sctx.getImageData(0, 0, w, h).data;
        const out: number[] = [];
        for (let i = 0; i < w * h; i++) {
          for (let c = 0; c < channels; c++) out.push(rgba[i * 4 + (channels === 1 ? 0 : c)]);
        }
        return out;
      },
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const at = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const r = canvas.current!.getBoundingClientRect();
    return [((e.clientX - r.left) * SIZE) / r.width, ((e.clientY - r.top) * SIZE) / r.height] as const;
  };
  const down = (e: React.PointerEvent<HTMLCanvasElement>) => {
    drawing.current = true;
    canvas.current!.setPointerCapture(e.pointerId);
    const ctx = canvas.current!.getContext('2d')!;
    const [x, y] = at(e);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 0.1, y + 0.1);
    stroke(ctx);
  };
  const move = (e: React.PointerEvent<HTMLCanvasElement>) => {
    if (!drawing.current) return;
    const ctx = canvas.current!.getContext('2d')!;
    const [x, y] = at(e);
    ctx.lineTo(x, y);
    stroke(ctx);
  };
  const up = () => {
    if (!drawing.current) return;
    drawing.current = false;
    ink.current = true;
    onChange(true);
  };

  return (
    <canvas
      ref={canvas}
      width={SIZE}
      height={SIZE}
      className="digit-pad"
      aria-label="Drawing area: draw a digit with the mouse, pen or touch (or choose an image file below)"
      onPointerDown={down}
      onPointerMove={move}
      onPointerUp={up}
      onPointerLeave={up}
    />
  );
}

export interface DigitPadHandle {
  clear(): void;
  hasInk(): boolean;
  toPixels(width: number, height: number, channels: number): number[];
}

function stroke(ctx: CanvasRenderingContext2D) {
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 22;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.stroke();
}

function inkBox(c: HTMLCanvasElement): { x: number; y: number; w: number; h: number } {
  const d = c.getContext('2d', { willReadFrequently: true })!.getImageData(0, 0, c.width, c.height).data;
  let x0 = c.width, y0 = c.height, x1 = -1, y1 = -1;
  for (let y = 0; y < c.height; y++) {
    for (let x = 0; x < c.width; x++) {
      if (d[(y * c.width + x) * 4] > 32) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return { x: 0, y: 0, w: c.width, h: c.height };
  return { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}
