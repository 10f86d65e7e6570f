/** The confusion matrix as a heat map: a table (readable by screen readers) coloured by row share. */
export function Heatmap({ matrix, names }: { matrix: number[][]; names: string[] }) {
  return (
    <div className="scroll-x">
      <table className="heatmap" aria-label="Confusion matrix: rows are true classes, columns predicted classes">
        <thead>
          <tr>
            <th scope="col">true \ predicted</th>
            {matrix.map((_, j) => (
              <th scope="col" key={j}>
                {names[j] ?? j}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {matrix.map((row, i) => {
            const total = row.reduce((a, b) => a + b, 0) || 1;
            return (
              <tr key={i}>
                <th scope="row">{names[i] ?? i}</th>
                {row.map((v, j) => {
                  const share = v / total;
                  // Dark text on light cells, white on dark ones: contrast stays above 4.5:1.
                  return (
                    <td
                      key={j}
                      title={`true ${names[i] ?? i}, predicted ${names[j] ?? j}: ${v} (${(share * 100).toFixed(1)}%)`}
                      style={{ background: `hsl(${i === j ? 212 : 8}, 70%, ${Math.round(97 - share * 62)}%)`, color: share > 0.45 ? '#fff' : '#111' }}
                    >
                      {v}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
