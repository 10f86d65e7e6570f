import { Controller, Get, Header, Param, ParseUUIDPipe } from '@nestjs/common';
import { CurrentPrincipal, Principal, RequireRole } from '@trainyard/auth';
import { AssignmentService } from './assignment.service';

/** GET /v1/assignments/:id/grades.csv: the grades of an assignment (instructors and assistants). */
@Controller('v1/assignments')
export class GradesController {
  constructor(private readonly assignments: AssignmentService) {}

  @Get(':id/grades.csv')
  @RequireRole('admin')
  @Header('content-type', 'text/csv; charset=utf-8')
  async grades(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string) {
    return this.assignments.gradesCsv(await this.assignments.get(p, id));
  }
}
