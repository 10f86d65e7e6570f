/** Horizontal bars with their values in text (a class histogram, class probabilities). */
export function Bars({ labels, values, format, label, highlight }: { labels: string[]; values: number[]; format?: (v: number) => string; label: string; highlight?: number }) {
  const max = Math.max(1e-12, ...values);
  return (
    <table className="bars" aria-label={label}>
      <tbody>
        {values.map((v, i) => (
          <tr key={i} className={i === highlight ? 'top' : undefined}>
            <th scope="row">{labels[i] ?? String(i)}</th>
            <td className="bar-cell">
              <span className="bar" style={{ width: `${(100 * v) / max}%` }} />
            </td>
            <td className="num">{format ? format(v) : String(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
