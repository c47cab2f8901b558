using System.Collections.Generic;
using System.Globalization;

namespace EdgeJamba.Spec;

/// <summary>
/// Reads the fields of one JSON object for <see cref="SpecReader"/>: typed getters that record a
/// <see cref="SpecProblem"/> instead of throwing, so one pass reports every problem. Duplicate and
/// unknown fields are reported by <see cref="Finish"/>.
/// </summary>
sealed class SpecObject
{
    private readonly JsonNode _node;
    private readonly List<SpecProblem> _problems;
    private readonly string _what;
    private readonly HashSet<string> _known = new HashSet<string>();

    public SpecObject(JsonNode node, string what, List<SpecProblem> problems)
    {
        _node = node;
        _what = what;
        _problems = problems;
    }

    public JsonNode Node => _node;

    public JsonNode? Get(string name)
    {
        _known.Add(name);
        foreach (var m in _node.Members)
        {
            if (m.Name == name)
            {
                return m.Value;
            }
        }
        return null;
    }

    public void Report(string id, string message, JsonNode at) => _problems.Add(new SpecProblem(id, message, at.Start, at.Length));

    public JsonNode? Require(string name)
    {
        var value = Get(name);
        if (value is null)
        {
            _problems.Add(new SpecProblem(SpecProblemIds.Missing, _what + " is missing the required field '" + name + "'", _node.Start, 1));
        }
        return value;
    }

    /// <summary>An integer in [min, max]; null when missing (and required: reported) or invalid (reported).</summary>
    public int? Int(string name, bool required, int min = 1, int max = int.MaxValue)
    {
        var v = required ? Require(name) : Get(name);
        if (v is null)
        {
            return null;
        }
        if (v.Kind != JsonKind.Number || !long.TryParse(v.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            Report(SpecProblemIds.WrongType, "'" + name + "' must be an integer, not " + Describe(v), v);
            return null;
        }
        if (value < min || value > max)
        {
            Report(SpecProblemIds.OutOfRange, "'" + name + "' is " + v.Text + "; it must be " + Range(min, max), v);
            return null;
        }
        return (int)value;
    }

    /// <summary>A number greater than <paramref name="exclusiveMin"/>; null when missing or invalid.</summary>
    public double? Number(string name, bool required, double exclusiveMin = double.NegativeInfinity, double max = double.MaxValue)
    {
        var v = required ? Require(name) : Get(name);
        if (v is null)
        {
            return null;
        }
        if (v.Kind != JsonKind.Number || !double.TryParse(v.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ||
            double.IsInfinity(value))
        {
            Report(SpecProblemIds.WrongType, "'" + name + "' must be a finite number, not " + Describe(v), v);
            return null;
        }
        if (!(value > exclusiveMin) || value > max)
        {
            Report(SpecProblemIds.OutOfRange, "'" + name + "' is " + v.Text + "; it must be greater than " +
                exclusiveMin.ToString("R", CultureInfo.InvariantCulture) +
                (max < double.MaxValue ? " and at most " + max.ToString("R", CultureInfo.InvariantCulture) : ""), v);
            return null;
        }
        return value;
    }

    public bool? Bool(string name, bool required)
    {
        var v = required ? Require(name) : Get(name);
        if (v is null)
        {
            return null;
        }
        if (v.Kind != JsonKind.True && v.Kind != JsonKind.False)
        {
            Report(SpecProblemIds.WrongType, "'" + name + "' must be true or false, not " + Describe(v), v);
            return null;
        }
        return v.Kind == JsonKind.True;
    }

    public string? String(string name, bool required)
    {
        var v = required ? Require(name) : Get(name);
        if (v is null)
        {
            return null;
        }
        if (v.Kind != JsonKind.String)
        {
            Report(SpecProblemIds.WrongType, "'" + name + "' must be a string, not " + Describe(v), v);
            return null;
        }
        return v.Text;
    }

    /// <summary>A string that must be one of <paramref name="choices"/>; returns its index.</summary>
    public int? Choice(string name, bool required, params string[] choices)
    {
        var text = String(name, required);
        if (text is null)
        {
            return null;
        }
        int i = System.Array.IndexOf(choices, text);
        if (i < 0)
        {
            Report(SpecProblemIds.UnknownValue, "unknown " + name + " '" + text + "'; expected one of: " + string.Join(", ", choices), Get(name)!);
            return null;
        }
        return i;
    }

    public SpecObject? Object(string name, bool required)
    {
        var v = required ? Require(name) : Get(name);
        if (v is null || v.Kind == JsonKind.Null)
        {
            return null;
        }
        if (v.Kind != JsonKind.Object)
        {
            Report(SpecProblemIds.WrongType, "'" + name + "' must be an object, not " + Describe(v), v);
            return null;
        }
        return new SpecObject(v, "'" + name + "'", _problems);
    }

    /// <summary>Reports fields given twice and fields the format does not know.</summary>
    public void Finish()
    {
        var seen = new HashSet<string>();
        foreach (var m in _node.Members)
        {
            if (!seen.Add(m.Name))
            {
                _problems.Add(new SpecProblem(SpecProblemIds.Duplicate, "field '" + m.Name + "' appears more than once in " + _what, m.NameStart, m.NameLength));
            }
            else if (!_known.Contains(m.Name))
            {
                _problems.Add(new SpecProblem(SpecProblemIds.UnknownField, "unknown field '" + m.Name + "' in " + _what, m.NameStart, m.NameLength));
            }
        }
    }

    public static string Describe(JsonNode v) => v.Kind == JsonKind.Number || v.Kind == JsonKind.String ? v.KindName + " (" + Clip(v.Text) + ")" : v.KindName;

    private static string Clip(string s) => s.Length <= 24 ? s : s.Substring(0, 24) + "...";

    private static string Range(int min, int max) =>
        max == int.MaxValue
            ? "at least " + min.ToString(CultureInfo.InvariantCulture)
            : "between " + min.ToString(CultureInfo.InvariantCulture) + " and " + max.ToString(CultureInfo.InvariantCulture);
}
