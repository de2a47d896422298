// Actions per day as a plain SVG bar chart (no chart library: a few rects), with the numbers in
// a table for screen readers.
import type { Day } from "../logic/activity";

export function ActionsPerDay({ days }: { days: Day[] }) {
  const width = 640;
  const height = 140;
  const max = Math.max(1, ...days.map((d) => d.count));
  const slot = width / Math.max(days.length, 1);
  const bar = Math.max(2, Math.min(40, slot - 4));
  return (
    <figure>
      <svg className="berth-chart" viewBox={`0 0 ${width} ${height + 20}`} width="100%" role="img" aria-label={`Actions per day: ${days.map((d) => `${d.day} ${d.count}`).join(", ")}`}>
        {days.map((d, i) => {
          const h = Math.round((d.count / max) * height);
          const x = i * slot + (slot - bar) / 2;
          return (
            <g key={d.day}>
              <rect className="bar" x={x} y={height - h} width={bar} height={h}>
                <title>{`${d.day}: ${d.count}`}</title>
              </rect>
              {(days.length <= 10 || i % Math.ceil(days.length / 10) === 0) && (
                <text x={x + bar / 2} y={height + 14} textAnchor="middle">
                  {d.day.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>Actions per day</figcaption>
    </figure>
  );
}
